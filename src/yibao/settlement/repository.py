"""Queries of the settlement hot path: a fixed handful per bill, never one per line."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    BigInteger,
    DateTime,
    Select,
    String,
    Table,
    Text,
    and_,
    bindparam,
    column,
    func,
    insert,
    literal,
    null,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, lazyload

from yibao.audit.models import AuditEntry
from yibao.catalog.models import CatalogItem, CodeMapping
from yibao.core.db import local_year
from yibao.core.paging import Page, paginate
from yibao.core.prepared import fetch_all, fetch_each
from yibao.core.uow import audit_arrays, audit_json, audit_rows_insert, pending_audit
from yibao.domain.catalog import Restrictions
from yibao.domain.enrolment import EntryType
from yibao.enrolment.models import Account, AccountEntry, Person, Relation
from yibao.institutions.models import Institution
from yibao.settlement.models import (
    ChronicRegistration,
    FeeLine,
    IdentityCheck,
    LedgerCounter,
    PersonYear,
    Settlement,
    SettlementFund,
    Visit,
)


class SettlementRepository:
    """Visits, lines, settlements and the year ledger, with the reads of other areas a bill needs."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- visits and lines
    def add(self, row: object) -> None:
        self.session.add(row)

    def visit(self, mdtrt_id: str) -> Visit | None:
        return self.session.scalar(select(Visit).where(Visit.mdtrt_id == mdtrt_id))

    def visit_for_update(self, mdtrt_id: str) -> Visit | None:
        return self.session.scalar(select(Visit).where(Visit.mdtrt_id == mdtrt_id).with_for_update())

    def lines(self, visit_id: int, *, unsettled_only: bool) -> list[FeeLine]:
        stmt = select(FeeLine).where(FeeLine.visit_id == visit_id, FeeLine.status != "cancelled")
        if unsettled_only:
            stmt = stmt.where(FeeLine.status == "uploaded")
        return list(self.session.scalars(stmt.order_by(FeeLine.id)))

    def identity_checks(self, visit_ids: Collection[int]) -> list[IdentityCheck]:
        """The identity checks of these visits, by visit and time."""
        if not visit_ids:
            return []
        stmt = select(IdentityCheck).where(IdentityCheck.visit_id.in_(list(visit_ids)))
        return list(self.session.scalars(stmt.order_by(IdentityCheck.visit_id, IdentityCheck.check_time)))

    def lines_from(self, visit_id: int, moment: datetime, *, most: int) -> list[str]:
        """The serial numbers of a visit's lines (not cancelled) with a fee time at or after `moment`."""
        stmt = (
            select(FeeLine.feedetl_sn)
            .where(
                FeeLine.visit_id == visit_id, FeeLine.status != "cancelled", FeeLine.fee_ocur_time >= moment
            )
            .order_by(FeeLine.id)
            .limit(most)
        )
        return list(self.session.scalars(stmt))

    def search_visits(
        self,
        *,
        regions: frozenset[str] | None,
        institution: str | None,
        psn_no: str | None,
        page: int,
        size: int,
    ) -> Page[Visit]:
        stmt: Select[tuple[Visit]] = select(Visit).order_by(Visit.id.desc())
        if regions is not None:
            stmt = stmt.where(Visit.insu_admdvs.in_(regions))
        if institution:
            stmt = stmt.where(Visit.fixmedins_code == institution)
        if psn_no:
            stmt = stmt.where(Visit.psn_no == psn_no)
        return paginate(self.session, stmt, page=page, size=size)

    # -- settlements
    def settlement_by_request(self, request_id: str) -> Settlement | None:
        return self.session.scalar(select(Settlement).where(Settlement.request_id == request_id))

    def settlement(self, setl_id: str) -> Settlement | None:
        return self.session.scalar(select(Settlement).where(Settlement.setl_id == setl_id))

    def settlements_of(self, visit_id: int) -> list[Settlement]:
        return list(
            self.session.scalars(
                select(Settlement).where(Settlement.visit_id == visit_id).order_by(Settlement.id)
            )
        )

    def funds(self, settlement_id: int) -> list[SettlementFund]:
        return list(
            self.session.scalars(select(SettlementFund).where(SettlementFund.settlement_id == settlement_id))
        )

    # -- the year ledger
    def lock_person_year(self, psn_no: str, insutype: str, year: int) -> PersonYear:
        """The person-year row, created if missing, locked until the transaction ends.

        The row exists for every bill after a person's first of the year, so it is locked first and
        inserted (a no-op if a concurrent bill inserted it meanwhile) only when missing.
        """
        locked = (
            select(PersonYear)
            .where(PersonYear.psn_no == psn_no, PersonYear.insutype == insutype, PersonYear.year == year)
            .with_for_update()
        )
        row = self.session.scalar(locked)
        if row is None:
            dialect = self.session.get_bind().dialect.name
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            self.session.execute(
                insert(PersonYear)
                .values(psn_no=psn_no, insutype=insutype, year=year)
                .on_conflict_do_nothing()
            )
            row = self.session.scalar(locked)
        assert row is not None
        return row

    def person_year(self, psn_no: str, insutype: str, year: int) -> PersonYear | None:
        return self.session.scalar(
            select(PersonYear).where(
                PersonYear.psn_no == psn_no, PersonYear.insutype == insutype, PersonYear.year == year
            )
        )

    def counters(self, person_year_id: int) -> dict[str, int]:
        rows = self.session.execute(
            select(LedgerCounter.counter, LedgerCounter.amount).where(
                LedgerCounter.person_year_id == person_year_id
            )
        )
        return {counter: amount for counter, amount in rows}

    def counter_rows(self, person_year_id: int) -> dict[str, LedgerCounter]:
        """The counters of a (locked) person-year as rows, to be changed by `apply_delta`."""
        return {
            c.counter: c
            for c in self.session.scalars(
                select(LedgerCounter).where(LedgerCounter.person_year_id == person_year_id)
            )
        }

    def apply_delta(
        self,
        person_year_id: int,
        current: Mapping[str, int],
        delta: Mapping[str, int],
        rows: Mapping[str, LedgerCounter] | None = None,
    ) -> None:
        """Add `delta` to the (locked) counters; `rows` are the counter rows if already read."""
        existing = self.counter_rows(person_year_id) if rows is None else rows
        for counter, change in delta.items():
            if not change:
                continue
            row = existing.get(counter)
            if row is None:
                self.session.add(LedgerCounter(person_year_id=person_year_id, counter=counter, amount=change))
            else:
                row.amount = current.get(counter, 0) + change

    # -- what a bill needs from the other areas
    def person(self, psn_no: str) -> Person | None:
        return self.session.scalar(select(Person).where(Person.psn_no == psn_no))

    def relations(self, psn_no: str) -> list[Relation]:
        return list(self.session.scalars(select(Relation).where(Relation.psn_no == psn_no)))

    def account(self, psn_no: str) -> Account | None:
        return self.session.scalar(select(Account).where(Account.psn_no == psn_no))

    def institution(self, fixmedins_code: str) -> Institution | None:
        """The institution without its departments (a bill needs only its region and level)."""
        return self.session.scalar(
            select(Institution)
            .where(Institution.fixmedins_code == fixmedins_code)
            .options(lazyload(Institution.departments))
        )

    def chronic_registrations(self, psn_no: str, day: date) -> list[ChronicRegistration]:
        return list(
            self.session.scalars(
                select(ChronicRegistration).where(
                    ChronicRegistration.psn_no == psn_no,
                    ChronicRegistration.begin <= day,
                    (ChronicRegistration.end.is_(None)) | (ChronicRegistration.end >= day),
                )
            )
        )


# ---------------------------------------------------------------------------------------------
# The hot path of pre-settlement and settlement: Core selects of the columns a bill needs, joined
# so that the whole bill is read in three statements (four with the locks), and Core writes (one
# statement per table whatever the number of lines). Rows, not ORM entities: no identity map and
# no unit-of-work flush on the way.

_V = cast(Table, Visit.__table__)
_P = cast(Table, Person.__table__)
_I = cast(Table, Institution.__table__)
_A = cast(Table, Account.__table__)
_R = cast(Table, Relation.__table__)
_L = cast(Table, FeeLine.__table__)
_C = cast(Table, CatalogItem.__table__)
_S = cast(Table, Settlement.__table__)
_SF = cast(Table, SettlementFund.__table__)
_PY = cast(Table, PersonYear.__table__)
_LC = cast(Table, LedgerCounter.__table__)
_AE = cast(Table, AccountEntry.__table__)
_AUDIT = cast(Table, AuditEntry.__table__)


@dataclass(frozen=True)
class RelationFacts:
    """An insurance relation as a bill needs it (参保关系)."""

    insutype: str
    psn_type: str
    admdvs: str
    idet_type: str | None
    begin: date
    end: date | None
    waiting_end: date | None
    status: str


@dataclass(frozen=True)
class BillVisit:
    """A visit with its person, institution, account and relations, read in one statement."""

    id: int
    mdtrt_id: str
    psn_no: str
    insutype: str
    insu_admdvs: str
    fixmedins_code: str
    dedc_level: str
    med_type: str
    begntime: datetime
    endtime: datetime | None
    diagnoses: str
    injury_cause: str | None
    disease_code: str | None
    dr_code: str | None
    dept_code: str | None
    status: str
    admission_counted: bool
    person_found: bool
    gend: str | None
    birth_date: date | None
    institution_admdvs: str | None
    hosp_lv: str | None
    account_balance: int | None
    relations: tuple[RelationFacts, ...]
    earlier_id: int | None  # the settlement an earlier request with the same id produced


@dataclass(frozen=True)
class ItemVersion:
    """One version of a national catalog item, as the split of a line needs it."""

    code: str
    admdvs: str | None
    begin: date
    end: date | None
    chrgitm_lv: str
    selfpay_bp: int
    price_cap: int | None
    tier_caps: dict[str, int | None]
    restrictions: Restrictions


class BillLine(NamedTuple):
    """An unsettled fee line with every version of its national item (a named tuple: a bill makes one
    per line twice, pre-settlement and settlement, and a tuple is the cheapest to make)."""

    id: int
    feedetl_sn: str
    fee_ocur_time: datetime
    hilist_code: str | None
    cnt: Decimal
    pric: Decimal
    amount: int
    refund_of: str | None
    versions: tuple[ItemVersion, ...]
    medins_list_codg: str = ""
    medins_list_name: str = ""


class LineSplitRow(NamedTuple):
    """How a settled line splits (明细分割), as stored on the line; None for refund lines."""

    line_id: int
    fulamt_ownpay: int | None
    overlmt_selfpay: int | None
    preselfpay: int | None
    inscp: int | None
    split_reason: str | None


class AccountDebit(NamedTuple):
    """What a settlement takes from the person's personal account (个人账户支付)."""

    psn_no: str
    amount: int  # fen, > 0
    reference: str  # the settlement's setl_id, written on the account ledger line
    at: datetime


@dataclass(frozen=True)
class BillLines:
    """The unsettled lines of a visit, with what the settlements already stored of it say."""

    lines: list[BillLine]
    deductible_paid: int  # by the settlements in force of the visit (mid-stay settlements)
    earlier_id: int | None  # the settlement of this request id, if one was stored meanwhile


def _earlier(by_request: bool) -> Any:
    """The id of the settlement of the bound `request_id`, or NULL when no request id is given."""
    return (
        select(_S.c.id).where(_S.c.request_id == bindparam("request_id")).scalar_subquery()
        if by_request
        else null()
    )


_VISIT_COLUMNS = (
    _V.c.id,
    _V.c.mdtrt_id,
    _V.c.psn_no,
    _V.c.insutype,
    _V.c.insu_admdvs,
    _V.c.fixmedins_code,
    _V.c.dedc_level,
    _V.c.med_type,
    _V.c.begntime,
    _V.c.endtime,
    _V.c.diagnoses,
    _V.c.injury_cause,
    _V.c.disease_code,
    _V.c.dr_code,
    _V.c.dept_code,
    _V.c.status,
    _V.c.admission_counted,
    _P.c.id.label("person_id"),
    _P.c.gend,
    _P.c.birth_date,
    _I.c.admdvs.label("institution_admdvs"),
    _I.c.hosp_lv,
    _A.c.balance,
    _R.c.insutype.label("r_insutype"),
    _R.c.psn_type.label("r_psn_type"),
    _R.c.admdvs.label("r_admdvs"),
    _R.c.idet_type.label("r_idet_type"),
    _R.c.begin.label("r_begin"),
    _R.c.end.label("r_end"),
    _R.c.waiting_end.label("r_waiting_end"),
    _R.c.status.label("r_status"),
)

_LINE_COLUMNS = (
    _L.c.id,
    _L.c.feedetl_sn,
    _L.c.fee_ocur_time,
    _L.c.hilist_code,
    _L.c.cnt,
    _L.c.pric,
    _L.c.amount,
    _L.c.refund_of,
    _L.c.medins_list_codg,
    _L.c.medins_list_name,
    _C.c.code,
    _C.c.admdvs,
    _C.c.begin,
    _C.c.end,
    _C.c.chrgitm_lv,
    _C.c.selfpay_bp,
    _C.c.price_cap,
    _C.c.price_cap_lv1,
    _C.c.price_cap_lv2,
    _C.c.price_cap_lv3,
    _C.c.restr_gend,
    _C.c.restr_age_min,
    _C.c.restr_age_max,
    _C.c.restr_hosp_levels,
    _C.c.restr_inpatient_only,
    _C.c.restr_benefit_only,
    _C.c.restr_insutypes,
    _C.c.restr_max_days,
    _C.c.restr_indication,
)


# The catalog columns of a line row (after the line's own ten): one item version's stored values.
_VERSION_COLUMNS = slice(10, len(_LINE_COLUMNS))
_VERSIONS: dict[tuple[Any, ...], ItemVersion] = {}  # stored values → their (immutable) version
_VERSIONS_KEPT = 50_000


def _version(row: Any) -> ItemVersion:
    """The item version of a line row's catalog columns, made once per distinct stored values (a
    changed catalog row has other values, so it never meets a stale version)."""
    key = tuple(row[_VERSION_COLUMNS])
    found = _VERSIONS.get(key)
    if found is None:
        if len(_VERSIONS) >= _VERSIONS_KEPT:
            _VERSIONS.clear()
        found = _VERSIONS[key] = _new_version(row)
    return found


def _new_version(row: Any) -> ItemVersion:
    return ItemVersion(
        code=row.code,
        admdvs=row.admdvs,
        begin=row.begin,
        end=row.end,
        chrgitm_lv=row.chrgitm_lv,
        selfpay_bp=row.selfpay_bp,
        price_cap=row.price_cap,
        tier_caps={"1": row.price_cap_lv1, "2": row.price_cap_lv2, "3": row.price_cap_lv3},
        restrictions=Restrictions(
            gend=row.restr_gend,
            age_min=row.restr_age_min,
            age_max=row.restr_age_max,
            hosp_levels=frozenset(filter(None, (row.restr_hosp_levels or "").split(","))),
            inpatient_only=bool(row.restr_inpatient_only),
            benefit_only=row.restr_benefit_only,
            insutypes=frozenset(filter(None, (row.restr_insutypes or "").split(","))),
            max_days=row.restr_max_days,
            indication=row.restr_indication,
        ),
    )


# The hot path's statements are built once per shape, with bound parameters: SQLAlchemy then
# neither rebuilds the expression nor recomputes its cache key on every bill.
@cache
def _visit_statement(lock: bool, by_request: bool) -> Select[Any]:
    """The visit with its person, institution, account and relations, by the bound `mdtrt_id`."""
    stmt = (
        select(*_VISIT_COLUMNS, _earlier(by_request).label("earlier_id"))
        .select_from(
            _V.outerjoin(_P, _P.c.psn_no == _V.c.psn_no)
            .outerjoin(_I, _I.c.fixmedins_code == _V.c.fixmedins_code)
            .outerjoin(_A, _A.c.psn_no == _V.c.psn_no)
            .outerjoin(_R, _R.c.psn_no == _V.c.psn_no)
        )
        .where(_V.c.mdtrt_id == bindparam("mdtrt_id"))
        .order_by(_R.c.id)
    )
    return stmt.with_for_update(of=_V) if lock else stmt


def _visit_row_id() -> Any:
    """The row id of the visit of the bound `mdtrt_id`."""
    return select(_V.c.id).where(_V.c.mdtrt_id == bindparam("mdtrt_id")).scalar_subquery()


@cache
def _lines_statement(by_request: bool) -> Select[Any]:
    """The unsettled lines of the visit of the bound `mdtrt_id` with their catalog versions and what
    the visit's settlements already took of the deductible."""
    paid = (
        select(func.coalesce(func.sum(_S.c.act_pay_dedc), 0))
        .where(_S.c.visit_id == _visit_row_id(), _S.c.status == "settled")
        .scalar_subquery()
    )
    return (
        select(*_LINE_COLUMNS, paid.label("deductible_paid"), _earlier(by_request).label("earlier_id"))
        .select_from(_L.outerjoin(_C, _C.c.code == _L.c.hilist_code))
        .where(_L.c.visit_id == _visit_row_id(), _L.c.status == "uploaded")
        .order_by(_L.c.id, _C.c.begin)
    )


# The person-year of a visit (参保人年度): the visit's person and insurance type, and the year of its
# settlement day in the region's time (`settlement_day`: the end of the visit if known, else its begin).
_YEAR_OF_VISIT = and_(
    _PY.c.psn_no == _V.c.psn_no,
    _PY.c.insutype == _V.c.insutype,
    _PY.c.year == local_year(func.coalesce(_V.c.endtime, _V.c.begntime)),
)
_VISIT_YEAR_LOCKED = (
    select(_PY.c.id)
    .select_from(_PY.join(_V, _YEAR_OF_VISIT))
    .where(_V.c.mdtrt_id == bindparam("mdtrt_id"))
    .with_for_update(of=_PY)
)


@cache
def _visit_year_counters_statement(with_account: bool) -> Any:
    """The year ledger counters of the visit of the bound `mdtrt_id`, and its person's personal-account
    balance if asked: rows (is_account, counter, amount)."""
    stmt: Any = (
        select(literal(False).label("is_account"), _LC.c.counter, _LC.c.amount)
        .select_from(_PY.join(_LC, _LC.c.person_year_id == _PY.c.id).join(_V, _YEAR_OF_VISIT))
        .where(_V.c.mdtrt_id == bindparam("mdtrt_id"))
    )
    if with_account:
        stmt = union_all(
            stmt,
            select(literal(True), literal("", _LC.c.counter.type), _A.c.balance)
            .select_from(_A.join(_V, _V.c.psn_no == _A.c.psn_no))
            .where(_V.c.mdtrt_id == bindparam("mdtrt_id")),
        )
    return stmt


_EARLIER = select(_S.c.id).where(_S.c.request_id == bindparam("request_id"))


@cache
def _visit_year_insert(dialect: str) -> Any:
    """The person-year row of the visit of the bound `mdtrt_id`, inserted when missing (the person's
    first bill of the year). No row is produced when it exists, so no id is drawn; a concurrent insert
    of the same row makes this one a no-op (ON CONFLICT DO NOTHING, after waiting for the other)."""
    missing = ~select(_PY.c.id).where(_YEAR_OF_VISIT).exists()
    source = select(_V.c.psn_no, _V.c.insutype, local_year(func.coalesce(_V.c.endtime, _V.c.begntime))).where(
        _V.c.mdtrt_id == bindparam("mdtrt_id"), missing
    )
    return (
        _dialect_insert(dialect)(_PY)
        .from_select(["psn_no", "insutype", "year"], source)
        .on_conflict_do_nothing()
    )


def _counters_and_balance(rows: Iterable[Any]) -> tuple[dict[str, int], int | None]:
    counters: dict[str, int] = {}
    balance = None
    for is_account, counter, amount in rows:
        if is_account:
            balance = amount
        else:
            counters[counter] = amount
    return counters, balance


def _bill_visit(rows: Sequence[Any]) -> BillVisit | None:
    """The visit of the rows of `_visit_statement` (one row per relation), or None."""
    if not rows:
        return None
    first = rows[0]
    relations = tuple(
        RelationFacts(
            insutype=r.r_insutype,
            psn_type=r.r_psn_type,
            admdvs=r.r_admdvs,
            idet_type=r.r_idet_type,
            begin=r.r_begin,
            end=r.r_end,
            waiting_end=r.r_waiting_end,
            status=r.r_status,
        )
        for r in rows
        if r.r_insutype is not None
    )
    return BillVisit(
        id=first.id,
        mdtrt_id=first.mdtrt_id,
        psn_no=first.psn_no,
        insutype=first.insutype,
        insu_admdvs=first.insu_admdvs,
        fixmedins_code=first.fixmedins_code,
        dedc_level=first.dedc_level,
        med_type=first.med_type,
        begntime=first.begntime,
        endtime=first.endtime,
        diagnoses=first.diagnoses,
        injury_cause=first.injury_cause,
        disease_code=first.disease_code,
        dr_code=first.dr_code,
        dept_code=first.dept_code,
        status=first.status,
        admission_counted=bool(first.admission_counted),
        person_found=first.person_id is not None,
        gend=first.gend,
        birth_date=first.birth_date,
        institution_admdvs=first.institution_admdvs,
        hosp_lv=first.hosp_lv,
        account_balance=first.balance,
        relations=relations,
        earlier_id=first.earlier_id,
    )


# A fee upload's reads (费用明细上传): the visit locked, its lines' keys, the institution's mappings.
_VISIT_LOCKED_ROW = select(_V).where(_V.c.mdtrt_id == bindparam("mdtrt_id")).with_for_update()
_LINE_KEYS = select(_L.c.feedetl_sn, _L.c.refund_of, _L.c.status).where(_L.c.visit_id == _visit_row_id())
_M = cast(Table, CodeMapping.__table__)


@cache
def _visit_mappings_statement(dialect: str) -> Any:
    """The mappings of the visit's institution for the bound hospital codes `codes` (a list)."""
    owner = select(_V.c.fixmedins_code).where(_V.c.mdtrt_id == bindparam("mdtrt_id")).scalar_subquery()
    codes = (
        _M.c.medins_list_codg == func.any(bindparam("codes", type_=ARRAY(String())))
        if dialect == "postgresql"
        else _M.c.medins_list_codg.in_(bindparam("codes", expanding=True))
    )
    return select(_M).where(_M.c.fixmedins_code == owner, codes)


# The columns a new fee line is stored with (the split columns stay empty until it is settled).
_NEW_LINE_COLUMNS = (
    "visit_id",
    "feedetl_sn",
    "fee_ocur_time",
    "medins_list_codg",
    "medins_list_name",
    "hilist_code",
    "cnt",
    "pric",
    "amount",
    "refund_of",
    "bilg_dept_codg",
    "bilg_dr_codg",
    "prd_days",
    "dscg_tkdrug_flag",
    "status",
)


@cache
def _lines_insert(dialect: str) -> Any:
    """New fee lines, answering each one's id with its serial number: on PostgreSQL one statement over
    `unnest` of parallel arrays (the same text for any number of lines), elsewhere an executemany."""
    returning = (_L.c.id, _L.c.feedetl_sn)
    if dialect != "postgresql":
        return insert(_L).returning(*returning)
    types = [
        (name, DateTime(timezone=True) if name == "fee_ocur_time" else _L.c[name].type)
        for name in _NEW_LINE_COLUMNS
    ]
    rows = _unnest("new_lines", *types)
    return (
        insert(_L)
        .from_select(list(_NEW_LINE_COLUMNS), select(*(rows.c[name] for name in _NEW_LINE_COLUMNS)))
        .returning(*returning)
    )


class FeeUploadReads(NamedTuple):
    """What a fee upload checks, read under the visit's lock."""

    visit: Visit | None  # transient (not in the session)
    lines: list[Any]  # (feedetl_sn, refund_of, status) of each of the visit's lines, cancelled ones too
    mappings: list[CodeMapping]  # the visit's institution's mappings of the uploaded codes, transient


class LockedYear(NamedTuple):
    """The person-year row locked for a settlement, with what was read after the lock."""

    person_year_id: int
    counters: dict[str, int]
    balance: int | None  # the personal account's, when asked


class BillRepository:
    """The reads and writes of one bill on the hot path, on the unit of work's connection."""

    def __init__(self, session: Session, *, read_only: bool = False) -> None:
        self.session = session
        if read_only and not session.in_transaction() and session.get_bind().dialect.name == "postgresql":
            # A read-only use case (pre-settlement) runs its statements in autocommit: no BEGIN and
            # no ROLLBACK round trip, and psycopg keeps its prepared statements (a ROLLBACK makes it
            # deallocate them all). Each statement reads committed data, as it does in READ
            # COMMITTED inside a transaction. (A unit of work that already read something keeps
            # its transaction.)
            self.conn = session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        else:
            self.conn = session.connection()

    def bill_to_quote(self, mdtrt_id: str) -> tuple[BillVisit | None, BillLines, dict[str, int]]:
        """The visit with its person, institution, account balance and relations, its unsettled lines
        and its person-year ledger counters, unlocked (pre-settlement): three statements, on
        PostgreSQL in one round trip."""
        key = {"mdtrt_id": mdtrt_id}
        visit, lines, counted = fetch_each(
            self.conn,
            [
                (_visit_statement(False, False), key),
                (_lines_statement(False), key),
                (_visit_year_counters_statement(False), key),
            ],
        )
        return _bill_visit(visit), self._bill_lines(lines), _counters_and_balance(counted)[0]

    def bill_to_settle(
        self, mdtrt_id: str, request_id: str
    ) -> tuple[BillVisit | None, BillLines, LockedYear | None]:
        """For a settlement: the visit locked (``FOR UPDATE OF setl_visit``), its unsettled lines read
        after that lock, then its person-year row made if missing (the person's first bill of the
        year) and locked, and the counters and the personal-account balance read after that lock.
        Five statements, each run after the one before; on PostgreSQL in one round trip (with the
        transaction's BEGIN). The year is None only when there is no such visit."""
        key = {"mdtrt_id": mdtrt_id}
        by_request = {"mdtrt_id": mdtrt_id, "request_id": request_id}
        visit, lines, _made, locked, counted = fetch_each(
            self.conn,
            [
                (_visit_statement(True, True), by_request),
                (_lines_statement(True), by_request),
                (_visit_year_insert(self.conn.dialect.name), key),
                (_VISIT_YEAR_LOCKED, key),
                (_visit_year_counters_statement(True), key),
            ],
        )
        bill = self._bill_lines(lines)
        if not locked:
            return _bill_visit(visit), bill, None
        counters, balance = _counters_and_balance(counted)
        return _bill_visit(visit), bill, LockedYear(int(locked[0][0]), counters, balance)

    def fee_upload_reads(self, mdtrt_id: str, codes: Iterable[str]) -> FeeUploadReads:
        """For a fee upload: the visit locked (``FOR UPDATE``), then the serial number, refund target
        and status of each of its lines, and its institution's mappings of these hospital codes —
        three statements, on PostgreSQL in one round trip."""
        self.session.flush()  # a visit registered in the same unit of work is read too
        key = {"mdtrt_id": mdtrt_id}
        visits, lines, mappings = fetch_each(
            self.conn,
            [
                (_VISIT_LOCKED_ROW, key),
                (_LINE_KEYS, key),
                (_visit_mappings_statement(self.conn.dialect.name), key | {"codes": sorted(set(codes))}),
            ],
        )
        return FeeUploadReads(
            Visit(**visits[0]._asdict()) if visits else None,
            list(lines),
            [CodeMapping(**row._asdict()) for row in mappings],
        )

    def insert_lines(self, lines: Sequence[FeeLine]) -> None:
        """Store new fee lines (one statement whatever their number) and give each its id."""
        stmt = _lines_insert(self.conn.dialect.name)
        if self.conn.dialect.name == "postgresql":
            arrays: dict[str, list[Any]] = {
                f"new_lines_{name}": [getattr(line, name) for line in lines] for name in _NEW_LINE_COLUMNS
            }
            arrays["new_lines_fee_ocur_time"] = [_utc(line.fee_ocur_time) for line in lines]
            stored = fetch_all(self.conn, stmt, arrays)
        else:
            stored = self.conn.execute(
                stmt, [{name: getattr(line, name) for name in _NEW_LINE_COLUMNS} for line in lines]
            ).all()
        ids = {sn: line_id for line_id, sn in stored}
        for line in lines:
            line.id = ids[line.feedetl_sn]

    def _bill_lines(self, rows: Iterable[Any]) -> BillLines:
        lines: list[BillLine] = []
        versions: dict[str, tuple[ItemVersion, ...]] = {}
        pending: list[ItemVersion] = []
        current: Any = None
        paid_fen, earlier = 0, None
        for row in rows:
            paid_fen, earlier = int(row.deductible_paid or 0), row.earlier_id
            if current is not None and row.id != current.id:
                lines.append(self._line(current, pending, versions))
                pending = []
            current = row
            if row.code is not None and row.hilist_code not in versions:
                pending.append(_version(row))
        if current is not None:
            lines.append(self._line(current, pending, versions))
        return BillLines(lines, paid_fen, earlier)

    @staticmethod
    def _line(row: Any, pending: list[ItemVersion], versions: dict[str, tuple[ItemVersion, ...]]) -> BillLine:
        code = row.hilist_code
        if code is not None and code not in versions:
            versions[code] = tuple(pending)
        return BillLine(
            id=row.id,
            feedetl_sn=row.feedetl_sn,
            fee_ocur_time=row.fee_ocur_time,
            hilist_code=code,
            cnt=Decimal(row.cnt),
            pric=Decimal(row.pric),
            amount=row.amount,
            refund_of=row.refund_of,
            versions=versions.get(code, ()) if code is not None else (),
            medins_list_codg=row.medins_list_codg or "",
            medins_list_name=row.medins_list_name or "",
        )

    def earlier(self, request_id: str) -> int | None:
        """The settlement of a request id (a fresh read, for the refusal paths after the lock)."""
        found = fetch_all(self.conn, _EARLIER, {"request_id": request_id})
        return int(found[0][0]) if found else None

    # -- writes
    def write_settlement(
        self,
        values: Mapping[str, Any],
        funds: Sequence[tuple[str, int]],
        splits: Sequence[LineSplitRow],
        person_year_id: int,
        delta: Mapping[str, int],
        existing: Collection[str],
        visit_id: int,
        visit_changes: Mapping[str, Any],
        debit: AccountDebit | None = None,
        audit: Sequence[dict[str, Any]] = (),
        debit_audit: dict[str, Any] | None = None,
    ) -> tuple[int, int | None]:
        """Store a settlement: its row, fund rows, line splits, counter deltas, visit changes, the
        personal-account debit with its ledger line, and the audit rows (`audit`, plus `debit_audit`
        completed with the debit's amount, balance after and reference when the debit is taken).

        `existing` names the counters the locked person-year already has (read after the lock), so
        these are updated and the others inserted, without an upsert. The debit takes the money only
        if the balance covers it (one conditional UPDATE, so concurrent debits never drive it below
        zero).

        On PostgreSQL all of it is one statement (data-modifying CTEs: one round trip whatever the
        number of lines); elsewhere one statement per table. Answers the new settlement's id and the
        balance after the debit — None when there was no debit or the balance did not cover it (the
        caller then refuses and rolls back).
        """
        changes = [(counter, change) for counter, change in delta.items() if change]
        if self.conn.dialect.name == "postgresql":
            return self._write_at_once(
                values,
                funds,
                splits,
                person_year_id,
                changes,
                existing,
                visit_id,
                visit_changes,
                debit,
                list(audit),
                debit_audit if debit is not None else None,
            )
        pending = pending_audit(self.session)
        pending.extend(audit)
        settlement_id = self.insert_settlement(values)
        self.insert_funds(settlement_id, funds)
        self.settle_lines(settlement_id, splits)
        self.add_to_counters(person_year_id, dict(changes), existing)
        if visit_changes:
            self.conn.execute(update(_V).where(_V.c.id == visit_id).values(**visit_changes))
        balance = None
        if debit is not None:
            debited = self.conn.execute(_DEBIT, _debit_params(debit)).one_or_none()
            if debited is not None:
                balance = int(debited.balance)
                self.conn.execute(
                    insert(_AE).values(
                        account_id=debited.id,
                        psn_no=debit.psn_no,
                        entry_type=EntryType.DEBIT_SETTLEMENT.value,
                        amount=-debit.amount,
                        balance_after=balance,
                        reference=debit.reference,
                        at=debit.at,
                    )
                )
                if debit_audit is not None:
                    pending.append(debit_audit | {"after": audit_json(_debit_after(debit, balance))})
        return settlement_id, balance

    def _write_at_once(
        self,
        values: Mapping[str, Any],
        funds: Sequence[tuple[str, int]],
        splits: Sequence[LineSplitRow],
        person_year_id: int,
        changes: Sequence[tuple[str, int]],
        existing: Collection[str],
        visit_id: int,
        visit_changes: Mapping[str, Any],
        debit: AccountDebit | None,
        audit: list[dict[str, Any]],
        debit_audit: dict[str, Any] | None,
    ) -> tuple[int, int | None]:
        # No upsert (SQLAlchemy cannot cache ON CONFLICT DO UPDATE): under the person-year lock the
        # existing counters are known, so they are updated and the others inserted.
        known = [(c, a) for c, a in changes if c in existing]
        fresh = [(c, a) for c, a in changes if c not in existing]
        stmt = _write_statement(
            tuple(values),
            bool(funds),
            bool(splits),
            bool(known),
            bool(fresh),
            tuple(visit_changes),
            debit is not None,
            bool(audit),
            debit_audit is not None,
        )
        params: dict[str, Any] = {f"v_{name}": value for name, value in values.items()}
        params |= {f"c_{name}": value for name, value in visit_changes.items()}
        params |= {
            "py_id": person_year_id,
            "visit_row_id": visit_id,
            "line_status": "settled",
            "fund_rows_fund_pay_type": [code for code, _ in funds],
            "fund_rows_amount": [amount for _, amount in funds],
            "counter_deltas_counter": [c for c, _ in known],
            "counter_deltas_amount": [a for _, a in known],
            "counter_firsts_counter": [c for c, _ in fresh],
            "counter_firsts_amount": [a for _, a in fresh],
        }
        for name, _type in _SPLIT_COLUMNS:
            params[f"line_rows_{name}"] = [getattr(split, name) for split in splits]
        if debit is not None:
            params |= _debit_params(debit)
        if audit:
            params |= audit_arrays(audit, prefix="audit_")
        if debit_audit is not None:
            params |= {f"debit_audit_{name}": debit_audit[name] for name in _DEBIT_AUDIT_COLUMNS}
        ((settlement_id, balance),) = fetch_all(self.conn, stmt, params)
        return int(settlement_id), int(balance) if balance is not None else None

    def insert_settlement(self, values: Mapping[str, Any]) -> int:
        return int(self.conn.execute(insert(_S).values(**values).returning(_S.c.id)).scalar_one())

    def insert_funds(self, settlement_id: int, funds: Iterable[tuple[str, int]]) -> None:
        rows = [{"settlement_id": settlement_id, "fund_pay_type": c, "amount": a} for c, a in funds]
        if rows:
            self.conn.execute(insert(_SF), rows)

    def settle_lines(self, settlement_id: int, splits: Sequence[LineSplitRow]) -> None:
        """Mark the lines settled with their splits (one executemany)."""
        if not splits:
            return
        self.conn.execute(
            update(_L)
            .where(_L.c.id == bindparam("line_id"))
            .values(
                status="settled",
                settlement_id=settlement_id,
                fulamt_ownpay=bindparam("s_fulamt_ownpay"),
                overlmt_selfpay=bindparam("s_overlmt_selfpay"),
                preselfpay=bindparam("s_preselfpay"),
                inscp=bindparam("s_inscp"),
                split_reason=bindparam("s_split_reason"),
            ),
            [
                {
                    "line_id": split.line_id,
                    "s_fulamt_ownpay": split.fulamt_ownpay,
                    "s_overlmt_selfpay": split.overlmt_selfpay,
                    "s_preselfpay": split.preselfpay,
                    "s_inscp": split.inscp,
                    "s_split_reason": split.split_reason,
                }
                for split in splits
            ],
        )

    def add_to_counters(
        self, person_year_id: int, delta: Mapping[str, int], existing: Collection[str]
    ) -> None:
        """Add `delta` to the (locked) counters: update the `existing` ones, insert the others."""
        known = [
            {"py": person_year_id, "name": c, "change": a} for c, a in delta.items() if a and c in existing
        ]
        fresh = [
            {"person_year_id": person_year_id, "counter": c, "amount": a}
            for c, a in delta.items()
            if a and c not in existing
        ]
        if known:
            self.conn.execute(
                update(_LC)
                .where(_LC.c.person_year_id == bindparam("py"), _LC.c.counter == bindparam("name"))
                .values(amount=_LC.c.amount + bindparam("change")),
                known,
            )
        if fresh:
            self.conn.execute(insert(_LC), fresh)


def _utc(moment: datetime) -> datetime:
    """A timestamp as stored (UTC); a naive one is refused, as the UTC column type does."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return moment.astimezone(UTC)


def _dialect_insert(dialect: str) -> Any:
    return pg_insert if dialect == "postgresql" else sqlite_insert


def _unnest(name: str, *columns: tuple[str, Any]) -> Any:
    """`unnest(:name_a::T[], :name_b::U[]) AS name(a, b)`: parallel bound arrays as rows (PostgreSQL)."""
    return (
        func.unnest(*(bindparam(f"{name}_{col}", type_=ARRAY(type_)) for col, type_ in columns))
        .table_valued(*(column(col, type_) for col, type_ in columns))
        .render_derived(name=name)
    )


_SPLIT_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("line_id", BigInteger()),
    ("fulamt_ownpay", BigInteger()),
    ("overlmt_selfpay", BigInteger()),
    ("preselfpay", BigInteger()),
    ("inscp", BigInteger()),
    ("split_reason", String()),
)


@cache
def _write_statement(
    settlement_columns: tuple[str, ...],
    funds: bool,
    splits: bool,
    known: bool,
    fresh: bool,
    visit_columns: tuple[str, ...],
    debit: bool,
    audit: bool = False,
    debit_audit: bool = False,
) -> Any:
    """A settlement's writes as one statement of data-modifying CTEs (PostgreSQL), built once per
    shape; every value is bound, and arrays unnested into rows keep the text the same whatever the
    number of lines, so psycopg prepares it once per connection."""
    new = (
        insert(_S)
        .values({name: bindparam(f"v_{name}", type_=_S.c[name].type) for name in settlement_columns})
        .returning(_S.c.id)
        .cte("new_settlement")
    )
    ctes: list[Any] = []
    if funds:
        rows = _unnest("fund_rows", ("fund_pay_type", String()), ("amount", BigInteger()))
        ctes.append(
            insert(_SF)
            .from_select(
                ["settlement_id", "fund_pay_type", "amount"],
                select(new.c.id, rows.c.fund_pay_type, rows.c.amount).select_from(new.join(rows, true())),
            )
            .cte("new_funds")
        )
    if splits:
        lines = _unnest("line_rows", *_SPLIT_COLUMNS)
        ctes.append(
            update(_L)
            .where(_L.c.id == lines.c.line_id)
            .values(
                status=bindparam("line_status", type_=_L.c.status.type),
                settlement_id=select(new.c.id).scalar_subquery(),
                fulamt_ownpay=lines.c.fulamt_ownpay,
                overlmt_selfpay=lines.c.overlmt_selfpay,
                preselfpay=lines.c.preselfpay,
                inscp=lines.c.inscp,
                split_reason=lines.c.split_reason,
            )
            .cte("settled_lines")
        )
    person_year = bindparam("py_id", type_=BigInteger())  # not a column name: UPDATE would SET it
    if known:
        deltas = _unnest("counter_deltas", ("counter", String()), ("amount", BigInteger()))
        ctes.append(
            update(_LC)
            .where(_LC.c.person_year_id == person_year, _LC.c.counter == deltas.c.counter)
            .values(amount=_LC.c.amount + deltas.c.amount)
            .cte("counters_changed")
        )
    if fresh:
        first = _unnest("counter_firsts", ("counter", String()), ("amount", BigInteger()))
        ctes.append(
            insert(_LC)
            .from_select(
                ["person_year_id", "counter", "amount"],
                select(person_year, first.c.counter, first.c.amount),
            )
            .cte("counters_added")
        )
    if visit_columns:
        ctes.append(
            update(_V)
            .where(_V.c.id == bindparam("visit_row_id", type_=BigInteger()))
            .values({name: bindparam(f"c_{name}", type_=_V.c[name].type) for name in visit_columns})
            .cte("visit")
        )
    balance: Any = null()
    if debit:
        debited = _DEBIT.cte("debited")
        ctes.append(
            insert(_AE)
            .from_select(
                ["account_id", "psn_no", "entry_type", "amount", "balance_after", "reference", "at"],
                select(
                    debited.c.id,
                    debited.c.psn_no,
                    literal(EntryType.DEBIT_SETTLEMENT.value, _AE.c.entry_type.type),
                    -bindparam("debit_amount", type_=BigInteger()),
                    debited.c.balance,
                    bindparam("debit_reference", type_=_AE.c.reference.type),
                    bindparam("debit_at", type_=_AE.c.at.type),
                ),
            )
            .cte("debit_entry")
        )
        balance = select(debited.c.balance).scalar_subquery()
        if debit_audit:
            ctes.append(_debit_audit_insert(debited).cte("debit_audit"))
    if audit:
        ctes.append(audit_rows_insert(prefix="audit_").cte("audit_rows"))
    return select(new.c.id, balance.label("balance_after")).add_cte(*ctes)


_DEBIT_AUDIT_COLUMNS = ("at", "user_id", "username", "action", "entity", "entity_id", "admdvs")


def _debit_audit_insert(debited: Any) -> Any:
    """The audit row of the debit, written only if the debit was taken; its `after` text is the one
    `audit_json(_debit_after(...))` makes, composed from the balance the UPDATE answered."""
    table = _AUDIT
    amount = bindparam("debit_amount", type_=BigInteger())
    after = func.concat(
        '{"amount": ',
        -amount,
        ', "balance_after": ',
        debited.c.balance,
        ', "reference": ',
        func.to_json(bindparam("debit_reference", type_=String())).cast(Text()),
        "}",
    )
    return insert(table).from_select(
        [*_DEBIT_AUDIT_COLUMNS, "after"],
        select(
            *(bindparam(f"debit_audit_{name}", type_=table.c[name].type) for name in _DEBIT_AUDIT_COLUMNS),
            after,
        ).select_from(debited),
    )


def _debit_after(debit: AccountDebit, balance: int) -> dict[str, Any]:
    """The `after` of a debit's audit row."""
    return {"amount": -debit.amount, "balance_after": balance, "reference": debit.reference}


# The personal-account debit of a settlement: the money is taken only if the balance covers it, in
# one conditional UPDATE evaluated on the row it changes (PostgreSQL re-checks it after waiting for
# a concurrent writer; SQLite serialises writers), the rule of `EnrolmentRepository.debit`.
_DEBIT = (
    update(_A)
    .where(_A.c.psn_no == bindparam("debit_psn_no"), _A.c.balance >= bindparam("debit_amount"))
    .values(balance=_A.c.balance - bindparam("debit_amount"))
    .returning(_A.c.id, _A.c.psn_no, _A.c.balance)
)


def _debit_params(debit: AccountDebit) -> dict[str, Any]:
    return {
        "debit_psn_no": debit.psn_no,
        "debit_amount": debit.amount,
        "debit_reference": debit.reference,
        "debit_at": debit.at,
    }
