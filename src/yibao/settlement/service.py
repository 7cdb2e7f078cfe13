"""Use cases of real-time settlement (实时结算): register, upload fees, pre-settle, settle, reverse.

A settlement is all-or-nothing (one unit of work writes the settlement, its lines, the fund rows,
the year ledger, the account debit and the audit row), idempotent by request id, and serialised
per person and year by a row lock, so concurrent bills never spend the same cap or balance twice.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from yibao.catalog.models import CodeMapping
from yibao.core.clock import LOCAL_TZ, local_day
from yibao.core.db import utcnow
from yibao.core.paging import Page
from yibao.core.security import Perm
from yibao.core.uow import UnitOfWork
from yibao.core.validation import optional_text, require_text
from yibao.domain import catalog as catalog_rules
from yibao.domain import settlement as engine
from yibao.domain.enrolment import scheme_of
from yibao.domain.errors import BusinessError, ErrorKind, conflict, forbidden, invalid, not_found
from yibao.domain.money import fen_to_yuan
from yibao.domain.periods import check_order
from yibao.domain.policy import Policy
from yibao.enrolment import service as enrolment
from yibao.enrolment.models import Relation
from yibao.institutions import service as institutions
from yibao.institutions.models import Institution
from yibao.monitoring import service as monitoring
from yibao.monitoring.service import VisitFinding
from yibao.policy.lookup import policy_in_force
from yibao.reference.lookup import diagnoses as icd10
from yibao.reference.lookup import dictionaries
from yibao.settlement.models import (
    ChronicRegistration,
    FeeLine,
    IdentityCheck,
    Settlement,
    SettlementFund,
    Visit,
    VisitProcedure,
)
from yibao.settlement.repository import (
    AccountDebit,
    BillLine,
    BillLines,
    BillRepository,
    BillVisit,
    ItemVersion,
    LineSplitRow,
    RelationFacts,
    SettlementRepository,
)

RETIRED_PSN_TYPES = frozenset({"12", "1204", "1112", "126013", "126015"})  # psn_type 退休 …
CIVIL_SERVANT_INSUTYPE = "320"
ONE_FEN = Decimal(1)
MAX_PRD_DAYS = Decimal(100)  # 周期天数 is 数值型(4,2) in the national fee upload: at most 99.99


@dataclass(frozen=True)
class FeeInput:
    """One uploaded fee line: amounts in fen, price in fen per unit (may carry fractions of a fen)."""

    feedetl_sn: str
    fee_ocur_time: datetime
    medins_list_codg: str
    cnt: Decimal
    pric: Decimal
    det_item_fee_sumamt: int
    medins_list_name: str | None = None
    init_feedetl_sn: str | None = None
    bilg_dept_codg: str | None = None  # 开单科室 (the visit's department when absent)
    bilg_dr_codg: str | None = None  # 开单医生 (the visit's doctor when absent)
    prd_days: Decimal | None = None  # 周期天数: how many days the line's supply lasts (0–99.99)
    dscg_tkdrug_flag: str | None = None  # 出院带药标志: "1" for a drug taken home at discharge


@dataclass(frozen=True)
class ProcedureInput:
    """A procedure sent with the discharge: ICD-9-CM-3 医保版 code (already checked), name, main flag."""

    code: str
    name: str | None = None
    main: bool = False
    day: date | None = None
    oper_dr_code: str | None = None


def ordered_procedures(procedures: Sequence[ProcedureInput]) -> list[ProcedureInput]:
    """The main procedure first, then the others in the order sent; without a main flag the first sent
    is the main one. More than one main procedure is refused (PROCEDURE_MAIN)."""
    mains = [p for p in procedures if p.main]
    if len(mains) > 1:
        raise invalid(
            "PROCEDURE_MAIN", "procedures", f"字段 procedures 只能有一个主要手术，收到 {len(mains)} 个"
        )
    if not mains:
        return [
            ProcedureInput(p.code, p.name, i == 0, p.day, p.oper_dr_code) for i, p in enumerate(procedures)
        ]
    return mains + [p for p in procedures if not p.main]


@dataclass(frozen=True)
class VisitView:
    """A visit with its lines and settlements."""

    visit: Visit
    lines: list[FeeLine]
    settlements: list[Settlement]


@dataclass(frozen=True)
class SettlementView:
    """A stored settlement with its fund rows and its explanation trace."""

    settlement: Settlement
    funds: list[SettlementFund]
    trace: list[dict[str, object]]


# ---------------------------------------------------------------------------------------------
# Access


def _act_for_institution(uow: UnitOfWork, fixmedins_code: str) -> None:
    """An institution operator acts only for its own institution."""
    code = uow.actor.institution_code
    if code is not None and code != fixmedins_code:
        raise forbidden(f"定点机构操作员只能办理本机构（{code}）的业务，不能办理 {fixmedins_code}")


def _visible_visit(
    uow: UnitOfWork, repo: SettlementRepository, mdtrt_id: str, *, lock: bool = False
) -> Visit:
    return _seen_visit(uow, repo.visit_for_update(mdtrt_id) if lock else repo.visit(mdtrt_id), mdtrt_id)


def _seen_visit(uow: UnitOfWork, visit: Visit | None, mdtrt_id: str) -> Visit:
    """The visit if the actor may see it (its region, and its institution for an institution's
    operator); else VISIT_NOT_FOUND."""
    visible = visit is not None and uow.actor.sees_region(visit.insu_admdvs)
    own = visit is not None and uow.actor.institution_code in (None, visit.fixmedins_code)
    if visit is None or not visible or not own:
        raise not_found("VISIT_NOT_FOUND", f"就诊 {mdtrt_id} 不存在", "mdtrt_id")
    return visit


# ---------------------------------------------------------------------------------------------
# Visit registration (就诊登记 / 入院登记)


_AnyRelation = TypeVar("_AnyRelation", Relation, RelationFacts)


def _basic_relation(relations: Sequence[_AnyRelation], day: date, insutype: str | None) -> _AnyRelation:
    """The basic relation (or the one of `insutype`) in force on `day`; refused with the reason."""
    wanted = [r for r in relations if (r.insutype == insutype if insutype else scheme_of(r.insutype).basic)]
    current = [r for r in wanted if r.begin <= day and (r.end is None or day <= r.end)]
    if not current:
        raise invalid(
            "NO_ACTIVE_RELATION", "psn_no", f"字段 psn_no：参保人在 {day} 没有有效的基本医保参保关系"
        )
    relation = current[0]
    if relation.status != "active":
        raise conflict(
            "RELATION_SUSPENDED", f"字段 psn_no：参保关系状态为 {relation.status}，不能享受待遇", "psn_no"
        )
    if relation.waiting_end is not None and day <= relation.waiting_end:
        raise conflict(
            "WAITING_PERIOD",
            f"字段 psn_no：参保人处于待遇等待期（至 {relation.waiting_end}），暂不能享受待遇",
            "psn_no",
        )
    return relation


def _institution_on(
    uow: UnitOfWork, repo: SettlementRepository, fixmedins_code: str, day: date
) -> Institution:
    institution = repo.institution(fixmedins_code)
    if institution is None or not uow.actor.sees_region(institution.admdvs):
        raise not_found("INSTITUTION_NOT_FOUND", f"定点医药机构 {fixmedins_code} 不存在", "fixmedins_code")
    allowed, _code, reason = institutions.settlement_allowed(uow=uow, fixmedins_code=fixmedins_code, day=day)
    if not allowed:
        raise BusinessError(
            code="INSTITUTION_SUSPENDED",
            message=f"字段 fixmedins_code：定点医药机构 {fixmedins_code} 在 {day} 不能结算（{reason}）",
            field="fixmedins_code",
            kind=ErrorKind.CONFLICT,
        )
    return institution


def register_visit(
    *,
    uow: UnitOfWork,
    psn_no: str,
    fixmedins_code: str,
    med_type: str,
    begntime: datetime,
    diagnoses: Sequence[str] = (),
    insutype: str | None = None,
    injury_cause: str | None = None,
    disease_code: str | None = None,
    dept_code: str | None = None,
    dr_code: str | None = None,
    commit: bool = True,
) -> Visit:
    """Open a visit (就诊登记): a person with an active relation, at an institution that may settle."""
    uow.actor.require(Perm.SETTLE)
    _act_for_institution(uow, fixmedins_code)
    repo = SettlementRepository(uow.session)
    day = local_day(begntime)
    med_type = dictionaries(uow.session).require("med_type", med_type, field="med_type")
    person = repo.person((psn_no or "").strip())
    if person is None or not uow.actor.sees_region(person.admdvs):
        raise not_found("PERSON_NOT_FOUND", f"字段 psn_no：参保人 {psn_no} 不存在", "psn_no")
    relation = _basic_relation(repo.relations(person.psn_no), day, insutype)
    institution = _institution_on(uow, repo, fixmedins_code, day)
    book = icd10(uow.session)
    codes = [book.require_settleable(c, field="diagnoses") for c in diagnoses if c and c.strip()]
    dr_code = optional_text(dr_code, field="dr_code", max_len=32, label="医师编码")
    _refuse_unqualified_doctor(uow, dr_code, day)
    if med_type.startswith("2") and not codes:
        raise invalid("DIAGNOSIS_REQUIRED", "diagnoses", "字段 diagnoses 住院登记必须有入院诊断")
    visit = Visit(
        mdtrt_id=uuid.uuid4().hex,
        psn_no=person.psn_no,
        insutype=relation.insutype,
        insu_admdvs=relation.admdvs,
        fixmedins_code=institution.fixmedins_code,
        dedc_level=catalog_rules.hospital_tier(institution.hosp_lv) or "1",
        med_type=med_type,
        begntime=begntime,
        endtime=None,
        diagnoses="|".join(codes),
        injury_cause=optional_text(injury_cause, field="injury_cause", max_len=32, label="受伤原因"),
        disease_code=optional_text(disease_code, field="disease_code", max_len=32, label="慢特病病种"),
        dept_code=optional_text(dept_code, field="dept_code", max_len=32, label="科室"),
        dr_code=dr_code,
        status="open",
        admission_counted=False,
        created_at=utcnow(),
    )
    repo.add(visit)
    uow.flush()
    uow.audit(
        action="visit.register",
        entity="visit",
        entity_id=visit.mdtrt_id,
        admdvs=visit.insu_admdvs,
        after={
            "psn_no": visit.psn_no,
            "fixmedins_code": visit.fixmedins_code,
            "med_type": med_type,
            "begntime": begntime,
            "diagnoses": visit.diagnoses,
        },
    )
    if commit:
        uow.commit()
    return visit


def discharge(
    *,
    uow: UnitOfWork,
    mdtrt_id: str,
    endtime: datetime,
    procedures: Sequence[ProcedureInput] | None = None,
    dscg_way: str | None = None,
) -> Visit:
    """Record the end of a visit (出院); the end may not come before the begin. Procedures given replace
    the visit's procedures (main first); None keeps them. `dscg_way` is how the patient left (离院方式,
    national dictionary); None keeps what was recorded."""
    uow.actor.require(Perm.SETTLE)
    if dscg_way is not None:
        dscg_way = dictionaries(uow.session).require("dscg_way", dscg_way, field="dscg_way")
    ordered = ordered_procedures(procedures) if procedures is not None else None
    repo = SettlementRepository(uow.session)
    visit = _visible_visit(uow, repo, mdtrt_id, lock=True)
    if visit.status == "cancelled":
        raise conflict("VISIT_CANCELLED", f"就诊 {mdtrt_id} 已撤销", "mdtrt_id")
    if endtime < visit.begntime:
        raise invalid(
            "DATES_ORDER", "endtime", f"字段 endtime（{endtime}）不能早于就诊开始时间（{visit.begntime}）"
        )
    _refuse_fees_after(repo, visit, endtime)
    visit.endtime = endtime
    if visit.status == "open":
        visit.status = "discharged"
    after: dict[str, object] = {"endtime": endtime}
    if dscg_way is not None:
        visit.dscg_way = after["dscg_way"] = dscg_way
    if ordered is not None:
        uow.session.execute(delete(VisitProcedure).where(VisitProcedure.visit_id == visit.id))
        for seq, p in enumerate(ordered, start=1):
            uow.session.add(
                VisitProcedure(
                    visit_id=visit.id,
                    seq=seq,
                    code=p.code,
                    name=p.name,
                    main=p.main,
                    oprn_date=p.day,
                    oper_dr_code=p.oper_dr_code,
                )
            )
        after["procedures"] = [p.code for p in ordered]
    uow.audit(
        action="visit.discharge",
        entity="visit",
        entity_id=mdtrt_id,
        admdvs=visit.insu_admdvs,
        after=after,
    )
    uow.commit()
    return visit


def _refuse_fees_after(repo: SettlementRepository, visit: Visit, endtime: datetime) -> None:
    """Refuse a discharge before the day of a fee already uploaded for the stay: every fee falls within
    the visit (the rule `upload_fees` applies to lines sent after the discharge)."""
    last = local_day(endtime)
    late = repo.lines_from(visit.id, datetime.combine(last + timedelta(days=1), time(0), LOCAL_TZ), most=5)
    if late:
        raise invalid(
            "FEE_AFTER_DISCHARGE",
            "endtime",
            f"字段 endtime（出院 {last}）早于已上传明细 {'、'.join(late)} 的费用日期，"
            "请先撤销这些明细或更正出院时间",
        )


# 人证核验 methods (the product's own codes: the national dictionaries have none for biometric checks).
IDENTITY_CHECK_METHODS = {"1": "人脸识别", "2": "指纹识别", "3": "证卡核对"}


def record_identity_check(
    *, uow: UnitOfWork, mdtrt_id: str, check_time: datetime, method: str, matched: bool
) -> IdentityCheck:
    """Record an identity check of the patient at a visit (人证核验); a mismatch (`matched` false) is kept
    as the evidence the impersonation rule (冒名就医) reads. The check must fall within the visit (from
    its begin to its end, or to now while it is open)."""
    uow.actor.require(Perm.SETTLE)
    if method not in IDENTITY_CHECK_METHODS:
        raise invalid(
            "IDENTITY_CHECK_METHOD",
            "method",
            f"字段 method（核验方式）的值 {method!r} 无效，应为 1 人脸识别、2 指纹识别或 3 证卡核对",
        )
    repo = SettlementRepository(uow.session)
    visit = _visible_visit(uow, repo, mdtrt_id, lock=False)
    if visit.status == "cancelled":
        raise conflict("VISIT_CANCELLED", f"就诊 {mdtrt_id} 已撤销", "mdtrt_id")
    day = local_day(check_time)
    if day < local_day(visit.begntime) or day > local_day(visit.endtime or utcnow()):
        raise invalid(
            "IDENTITY_CHECK_TIME", "check_time", f"字段 check_time（核验时间）不在就诊 {mdtrt_id} 期间内"
        )
    check = IdentityCheck(
        visit_id=visit.id,
        check_time=check_time,
        method=method,
        matched=matched,
        recorded_by=uow.actor.username,
        created_at=utcnow(),
    )
    repo.add(check)
    uow.audit(
        action="visit.identity_check",
        entity="visit",
        entity_id=mdtrt_id,
        admdvs=visit.insu_admdvs,
        after={"check_time": check_time, "method": method, "matched": matched},
    )
    uow.commit()
    return check


def identity_checks(*, uow: UnitOfWork, mdtrt_id: str) -> list[IdentityCheck]:
    """The identity checks of a visit, oldest first."""
    uow.actor.require(Perm.SETTLEMENT_READ)
    repo = SettlementRepository(uow.session)
    visit = _visible_visit(uow, repo, mdtrt_id)
    return repo.identity_checks([visit.id])


def visit_procedures(*, uow: UnitOfWork, mdtrt_ids: Sequence[str]) -> dict[str, list[VisitProcedure]]:
    """The procedures of these visits (main first), in one query; visits without any are left out."""
    if not mdtrt_ids:
        return {}
    rows = uow.session.execute(
        select(Visit.mdtrt_id, VisitProcedure)
        .join(VisitProcedure, VisitProcedure.visit_id == Visit.id)
        .where(Visit.mdtrt_id.in_(sorted(set(mdtrt_ids))))
        .order_by(Visit.mdtrt_id, VisitProcedure.seq)
    ).tuples()
    found: dict[str, list[VisitProcedure]] = {}
    for mdtrt_id, procedure in rows:
        found.setdefault(mdtrt_id, []).append(procedure)
    return found


def cancel_visit(*, uow: UnitOfWork, mdtrt_id: str) -> Visit:
    """Cancel a visit that has no settlement in force (撤销就诊登记)."""
    uow.actor.require(Perm.SETTLE)
    repo = SettlementRepository(uow.session)
    visit = _visible_visit(uow, repo, mdtrt_id, lock=True)
    if any(s.status == "settled" for s in repo.settlements_of(visit.id)):
        raise conflict("VISIT_SETTLED", f"就诊 {mdtrt_id} 有未冲正的结算，不能撤销", "mdtrt_id")
    visit.status = "cancelled"
    uow.audit(action="visit.cancel", entity="visit", entity_id=mdtrt_id, admdvs=visit.insu_admdvs)
    uow.commit()
    return visit


# ---------------------------------------------------------------------------------------------
# Fee upload (费用明细上传)


def _check_line(fee: FeeInput, visit: Visit, known: set[str], originals: set[str]) -> None:
    sn = fee.feedetl_sn
    if not sn:
        raise invalid("REQUIRED", "feedetl_sn", "字段 feedetl_sn 费用明细流水号不能为空")
    if sn in known:
        raise conflict("FEE_DUPLICATE_SN", f"字段 feedetl_sn：明细流水号 {sn} 已上传", "feedetl_sn")
    if fee.cnt == 0:
        raise invalid("FEE_QUANTITY", "cnt", f"明细 {sn} 字段 cnt 数量不能为0")
    if fee.pric <= 0:
        raise invalid("FEE_PRICE", "pric", f"明细 {sn} 字段 pric 单价必须大于0")
    expected = (fee.pric * fee.cnt).quantize(ONE_FEN, rounding=ROUND_HALF_UP)
    if abs(expected - fee.det_item_fee_sumamt) > ONE_FEN:
        raise invalid(
            "FEE_AMOUNT_MISMATCH",
            "det_item_fee_sumamt",
            f"明细 {sn} 字段 det_item_fee_sumamt {fee.det_item_fee_sumamt} 分与单价×数量 {expected} 分不符",
        )
    if local_day(fee.fee_ocur_time) < local_day(visit.begntime) or (
        visit.endtime is not None and local_day(fee.fee_ocur_time) > local_day(visit.endtime)
    ):
        raise invalid("FEE_TIME_RANGE", "fee_ocur_time", f"明细 {sn} 字段 fee_ocur_time 不在就诊期间内")
    if fee.cnt < 0:
        if fee.init_feedetl_sn not in originals:
            raise invalid(
                "REFUND_UNKNOWN_LINE",
                "init_feedetl_sn",
                f"退费明细 {sn} 字段 init_feedetl_sn 必须指向本次就诊已上传的原明细",
            )
    elif fee.init_feedetl_sn:
        raise invalid("REFUND_SIGN", "cnt", f"明细 {sn} 指向原明细时数量必须为负数（退费）")
    if fee.prd_days is not None and not (
        0 <= fee.prd_days < MAX_PRD_DAYS and fee.prd_days == fee.prd_days.quantize(Decimal("0.01"))
    ):
        raise invalid(
            "FEE_PRD_DAYS", "prd_days", f"明细 {sn} 字段 prd_days 周期天数须在 0 至 99.99 之间，最多两位小数"
        )


def upload_fees(
    *, uow: UnitOfWork, mdtrt_id: str, fees: Sequence[FeeInput], commit: bool = True
) -> list[FeeLine]:
    """Store a batch of fee lines (all or none), each mapped to its national code by an approved mapping.

    The visit is locked first; its lines' serial numbers and the institution's mappings of the codes
    are read after the lock (on PostgreSQL the three in one round trip), and the lines are stored in
    one statement. The rows answered are transient (not in the session), with their ids.
    """
    uow.actor.require(Perm.SETTLE)
    if not fees:
        raise invalid("NO_LINES", "feedetail", "字段 feedetail 至少需要一条费用明细")
    bills = BillRepository(uow.session)
    reads = bills.fee_upload_reads(mdtrt_id, (f.medins_list_codg for f in fees))
    visit = _seen_visit(uow, reads.visit, mdtrt_id)
    if visit.status in ("settled", "cancelled"):
        raise conflict(
            "VISIT_CLOSED",
            f"就诊 {mdtrt_id} 已{'结算' if visit.status == 'settled' else '撤销'}，不能再上传费用",
            "mdtrt_id",
        )
    known = {sn for sn, _refund_of, _status in reads.lines}  # cancelled serial numbers stay used
    originals = {sn for sn, refund_of, status in reads.lines if refund_of is None and status != "cancelled"}
    for fee in fees:
        _check_line(fee, visit, known, originals)
        known.add(fee.feedetl_sn)
        if fee.cnt > 0:
            originals.add(fee.feedetl_sn)
    by_code: dict[str, list[CodeMapping]] = {}
    for candidate in reads.mappings:
        if catalog_rules.mapping_in_force(candidate.status):
            by_code.setdefault(candidate.medins_list_codg, []).append(candidate)
    codes = dictionaries(uow.session)
    rows = []
    for fee in fees:
        if fee.dscg_tkdrug_flag is not None:
            codes.require("dscg_tkdrug_flag", fee.dscg_tkdrug_flag, field="dscg_tkdrug_flag")
        day = local_day(fee.fee_ocur_time)
        mapping = catalog_rules.item_valid_on(by_code.get(fee.medins_list_codg, []), day)
        rows.append(
            FeeLine(
                visit_id=visit.id,
                feedetl_sn=fee.feedetl_sn,
                fee_ocur_time=fee.fee_ocur_time,
                medins_list_codg=fee.medins_list_codg,
                medins_list_name=fee.medins_list_name,
                hilist_code=mapping.hilist_code if mapping is not None else None,
                cnt=fee.cnt,
                pric=fee.pric,
                amount=fee.det_item_fee_sumamt,
                refund_of=fee.init_feedetl_sn if fee.cnt < 0 else None,
                bilg_dept_codg=optional_text(
                    fee.bilg_dept_codg, field="bilg_dept_codg", max_len=30, label="开单科室编码"
                ),
                bilg_dr_codg=optional_text(
                    fee.bilg_dr_codg, field="bilg_dr_codg", max_len=30, label="开单医生编码"
                ),
                prd_days=fee.prd_days,
                dscg_tkdrug_flag=fee.dscg_tkdrug_flag,
                status="uploaded",
            )
        )
    bills.insert_lines(rows)
    uow.audit(
        action="fee.upload",
        entity="visit",
        entity_id=mdtrt_id,
        admdvs=visit.insu_admdvs,
        after={"lines": len(rows), "amount": sum(r.amount for r in rows)},
    )
    if commit:
        uow.commit()
    return rows


def cancel_fees(*, uow: UnitOfWork, mdtrt_id: str, feedetl_sns: Sequence[str] | None = None) -> int:
    """Withdraw uploaded, unsettled lines (费用明细撤销): the named ones or all; returns how many."""
    uow.actor.require(Perm.SETTLE)
    repo = SettlementRepository(uow.session)
    visit = _visible_visit(uow, repo, mdtrt_id, lock=True)
    lines = repo.lines(visit.id, unsettled_only=True)
    chosen = lines if feedetl_sns is None else [line for line in lines if line.feedetl_sn in set(feedetl_sns)]
    missing = set(feedetl_sns or ()) - {line.feedetl_sn for line in chosen}
    if missing:
        raise not_found(
            "FEE_NOT_FOUND", f"字段 feedetl_sn：未结算的明细 {sorted(missing)} 不存在", "feedetl_sn"
        )
    for line in chosen:
        line.status = "cancelled"
    uow.audit(
        action="fee.cancel",
        entity="visit",
        entity_id=mdtrt_id,
        admdvs=visit.insu_admdvs,
        after={"lines": [line.feedetl_sn for line in chosen]},
    )
    uow.commit()
    return len(chosen)


# ---------------------------------------------------------------------------------------------
# The calculation with everything it needs, read in a fixed number of queries


def settlement_day(visit: Visit | BillVisit) -> date:
    """The day whose policy version and year ledger apply: the end of the visit if known, else its begin."""
    return local_day(visit.endtime or visit.begntime)


def _needs_registrations(policy: Policy, visit: BillVisit) -> bool:
    """Whether the benefit rule of the visit's medical type is limited to registered chronic diseases."""
    rule = policy.rule_for(visit.med_type)
    return rule is not None and rule.registered_diseases


LineFacts = dict[int, tuple[engine.CatalogFacts | None, str | None]]  # line id → (facts, refusal)


def _catalog_facts(lines: Sequence[BillLine], visit: BillVisit) -> LineFacts:
    """Per line id: the catalog facts of its national item on the fee date and the restriction it breaks."""
    region = visit.institution_admdvs
    patient = catalog_rules.PatientFacts(gend=visit.gend, birth_date=visit.birth_date)
    inpatient = visit.med_type.startswith("2")
    maternity = visit.med_type in ("51", "52", "2106", "2107")
    # The facts depend only on the item and the fee date: lines repeating an item on a day share them.
    known: dict[tuple[str, date], tuple[engine.CatalogFacts | None, str | None]] = {}
    visits: dict[date, catalog_rules.VisitFacts] = {}
    facts: dict[int, tuple[engine.CatalogFacts | None, str | None]] = {}
    for line in lines:
        day = local_day(line.fee_ocur_time)
        key = (line.hilist_code or "", day)
        found = known.get(key)
        if found is None:
            item, priced = _priced_item(line.versions, region, day, visit.hosp_lv)
            if item is None:
                found = (None, None)
            else:
                on_day = visits.get(day)
                if on_day is None:
                    on_day = visits[day] = catalog_rules.VisitFacts(
                        day=day,
                        hosp_lv=visit.hosp_lv,
                        inpatient=inpatient,
                        insutype=visit.insutype,
                        maternity=maternity,
                    )
                violations = catalog_rules.check_restrictions(item.restrictions, patient, on_day)
                found = (priced, violations[0].message if violations else None)
            known[key] = found
        facts[line.id] = found
    return facts


# The version in force and its price facts, per item versions × region × day × hospital level, kept
# across bills. The entry holds the version objects it was computed from (made once per distinct
# stored catalog row, see `repository._version`), so their ids in the key stay theirs: a changed
# catalog row is a new object and meets a new entry.
_PRICED: dict[
    tuple[Any, ...], tuple[tuple[ItemVersion, ...], ItemVersion | None, engine.CatalogFacts | None]
] = {}
_PRICED_KEPT = 100_000


def _priced_item(
    versions: tuple[ItemVersion, ...], region: str | None, day: date, hosp_lv: str | None
) -> tuple[ItemVersion | None, engine.CatalogFacts | None]:
    """The item version in force on `day` (national or the region's) and its price facts: payment
    class, self-pay-first ratio and the price cap of the institution's level."""
    key = (region, day, hosp_lv, *map(id, versions))
    found = _PRICED.get(key)
    if found is None:
        if len(_PRICED) >= _PRICED_KEPT:
            _PRICED.clear()
        usable = [v for v in versions if v.admdvs in (None, region)]  # national + regional items
        item = catalog_rules.item_valid_on(usable, day)
        priced = None
        if item is not None:
            cap = catalog_rules.applicable_cap(item.price_cap, item.tier_caps, hosp_lv)
            priced = engine.CatalogFacts(
                chrgitm_lv=item.chrgitm_lv,
                selfpay_ratio=Decimal(item.selfpay_bp) / Decimal(10_000),
                price_cap=None if cap is None else Decimal(cap),
            )
        found = _PRICED[key] = (versions, item, priced)
    return found[1], found[2]


def _person_facts(
    repo: SettlementRepository, visit: BillVisit, day: date, balance: int | None, *, registrations: bool
) -> engine.PersonFacts:
    """The person as the policy sees them; chronic registrations are read only when the rule asks."""
    current = [
        r
        for r in visit.relations
        if r.begin <= day and (r.end is None or day <= r.end) and r.status == "active"
    ]
    basic = next((r for r in current if r.insutype == visit.insutype), None)
    diseases = repo.chronic_registrations(visit.psn_no, day) if registrations else []
    return engine.PersonFacts(
        retired=basic is not None and basic.psn_type in RETIRED_PSN_TYPES,
        groups=frozenset(r.idet_type for r in current if r.idet_type),
        civil_servant=any(r.insutype == CIVIL_SERVANT_INSUTYPE for r in current),
        registered_diseases=frozenset(c.disease_code for c in diseases),
        account_balance=(balance or 0) if visit.insutype == "310" else 0,  # the employee's account only
    )


def _visible_bill(uow: UnitOfWork, visit: BillVisit | None, mdtrt_id: str) -> BillVisit:
    visible = visit is not None and uow.actor.sees_region(visit.insu_admdvs)
    own = visit is not None and uow.actor.institution_code in (None, visit.fixmedins_code)
    if visit is None or not visible or not own:
        raise not_found("VISIT_NOT_FOUND", f"就诊 {mdtrt_id} 不存在", "mdtrt_id")
    return visit


def _policy_for(uow: UnitOfWork, visit: BillVisit, bill: BillLines) -> Policy:
    """Refuse a bill that cannot be settled (no lines, person, relation or policy); the policy in force."""
    if not bill.lines:
        raise invalid("NO_LINES", "mdtrt_id", f"就诊 {visit.mdtrt_id} 没有待结算的费用明细")
    day = settlement_day(visit)
    if not visit.person_found:
        raise not_found("PERSON_NOT_FOUND", f"参保人 {visit.psn_no} 不存在", "psn_no")
    _basic_relation(visit.relations, local_day(visit.begntime), visit.insutype)
    policy = policy_in_force(uow.session, visit.insu_admdvs, visit.insutype, day)
    if policy is None:
        raise conflict(
            "POLICY_MISSING",
            f"统筹区 {visit.insu_admdvs} 险种 {visit.insutype} 在 {day} 没有生效的待遇政策",
            "mdtrt_id",
        )
    return policy


def _calculate(
    uow: UnitOfWork,
    visit: BillVisit,
    bill: BillLines,
    policy: Policy,
    counters: Mapping[str, int],
    balance: int | None,
    facts: LineFacts | None = None,
) -> engine.Breakdown:
    """The pure calculation on the facts read (`domain.settlement.settle`)."""
    facts = _catalog_facts(bill.lines, visit) if facts is None else facts
    fee_lines = [
        engine.FeeLine(
            sn=line.feedetl_sn,
            amount=line.amount,
            price=line.pric,
            quantity=line.cnt,
            item=facts[line.id][0],
            refusal=facts[line.id][1],
            refund_of=line.refund_of,
        )
        for line in bill.lines
    ]
    day = settlement_day(visit)
    registrations = _needs_registrations(policy, visit)
    return engine.settle(
        policy=policy,
        person=_person_facts(
            SettlementRepository(uow.session), visit, day, balance, registrations=registrations
        ),
        visit=engine.VisitFacts(
            med_type=visit.med_type,
            level=visit.dedc_level,
            diagnoses=tuple(filter(None, visit.diagnoses.split("|"))),
            injury_cause=visit.injury_cause,
            disease=visit.disease_code,
            new_admission=not visit.admission_counted,
            deductible_paid=bill.deductible_paid,
        ),
        lines=engine.net_refunds(fee_lines),
        ledger=counters,
    )


def pre_settle(*, uow: UnitOfWork, mdtrt_id: str) -> engine.Breakdown:
    """Compute the settlement of a visit's unsettled lines without writing anything (预结算).

    Three statements whatever the number of lines (on PostgreSQL in one round trip): the visit with
    its person, institution, account and relations; the unsettled lines with their catalog versions;
    the year ledger counters.
    """
    uow.actor.require(Perm.SETTLE)
    found, bill, counters = BillRepository(uow.session, read_only=True).bill_to_quote(mdtrt_id)
    visit = _visible_bill(uow, found, mdtrt_id)
    if visit.status in ("settled", "cancelled"):
        raise conflict("VISIT_CLOSED", f"就诊 {mdtrt_id} 已结算或已撤销", "mdtrt_id")
    breakdown = _preview(uow, visit, bill, counters)
    uow.rollback()
    return breakdown


@dataclass(frozen=True)
class Quote:
    """A pre-settlement with the in-visit rules (事中监控): the breakdown and what the rules found."""

    breakdown: engine.Breakdown
    findings: tuple[VisitFinding, ...]
    blocked: bool  # a rule that says so fired: settlement will be refused until the bill changes


def quote(
    *,
    uow: UnitOfWork,
    mdtrt_id: str,
    expected_medfee: int | None = None,
    medfee_field: str = "medfee_sumamt",
) -> Quote:
    """Pre-settle a visit and run the region's in-visit rules on the same bill; writes nothing.

    Warnings never stop the pre-settlement; `blocked` tells the hospital that `settle` will refuse.
    With `expected_medfee` the bill is refused unless its unsettled lines add up to it, as `settle`.
    """
    uow.actor.require(Perm.SETTLE)
    found, bill, counters = BillRepository(uow.session, read_only=True).bill_to_quote(mdtrt_id)
    visit = _visible_bill(uow, found, mdtrt_id)
    if visit.status in ("settled", "cancelled"):
        raise conflict("VISIT_CLOSED", f"就诊 {mdtrt_id} 已结算或已撤销", "mdtrt_id")
    if expected_medfee is not None:
        _refuse_other_total(bill, expected_medfee, medfee_field)
    policy = _policy_for(uow, visit, bill)
    facts = _catalog_facts(bill.lines, visit)  # once for the calculation and the rules
    breakdown = _calculate(uow, visit, bill, policy, counters, visit.account_balance, facts)
    check = _rule_check(uow, visit, bill, facts)
    return Quote(breakdown, tuple(check.findings), check.blocked)


def _rule_check(
    uow: UnitOfWork, visit: BillVisit, bill: BillLines, facts: LineFacts | None = None
) -> monitoring.VisitCheck:
    """The in-visit rules (智能监控 事中) on the lines being settled, with each item's price cap."""
    facts = _catalog_facts(bill.lines, visit) if facts is None else facts
    caps = {}
    for line in bill.lines:
        item = facts[line.id][0]
        if item is not None:
            caps[line.feedetl_sn] = item.price_cap
    return monitoring.check_settlement_visit(
        uow=uow,
        visit=visit,
        lines=bill.lines,
        gend=visit.gend,
        birth_date=visit.birth_date,
        hosp_lv=visit.hosp_lv,
        caps=caps,
    )


def _refuse_unqualified_doctor(uow: UnitOfWork, dr_code: str | None, day: date) -> None:
    """Refuse a visit of a registered insurance doctor (医保医师) who may not prescribe on insurance on
    `day`: suspended (6 points, 暂停) or cancelled. A code outside the registry passes: the registry
    is the agency's, HIS doctor codes are not all in it, and batch monitoring reports them."""
    if not dr_code:
        return
    try:
        allowed, _code, reason = institutions.doctor_qualification(uow=uow, dr_code=dr_code, day=day)
    except BusinessError as exc:
        if exc.code == "DOCTOR_NOT_FOUND":
            return
        raise
    if not allowed:
        raise conflict(
            "DOCTOR_NOT_QUALIFIED",
            f"字段 dr_code：医保医师 {dr_code} 在 {day} 不能开具医保处方（{reason}）",
            "dr_code",
        )


def _refuse_blocked(uow: UnitOfWork, visit: BillVisit, bill: BillLines, facts: LineFacts) -> None:
    """Refuse a settlement that a blocking in-visit rule stops (only rules configured to block)."""
    if not monitoring.blocking_rules_in_force(uow=uow, admdvs=visit.insu_admdvs, day=settlement_day(visit)):
        return
    check = _rule_check(uow, visit, bill, facts)
    if check.blocked:
        first = next(f for f in check.findings if f.blocking)
        raise conflict(
            "RULE_BLOCKED",
            f"智能监控规则 {first.rule_id}（{first.rule_name}）拦截本次结算：{first.evidence}",
            "mdtrt_id",
        )


def _preview(
    uow: UnitOfWork, visit: BillVisit, bill: BillLines, counters: Mapping[str, int]
) -> engine.Breakdown:
    """The bill of a visit's unsettled lines as it would settle now (read without a lock)."""
    policy = _policy_for(uow, visit, bill)
    return _calculate(uow, visit, bill, policy, counters, visit.account_balance)


_AMOUNTS = (
    "medfee_sumamt",
    "fulamt_ownpay_amt",
    "overlmt_selfpay",
    "preselfpay_amt",
    "inscp_scp_amt",
    "act_pay_dedc",
    "hifp_pay",
    "pool_prop_selfpay",
    "cvlserv_pay",
    "hifmi_pay",
    "maf_pay",
    "fund_pay_sumamt",
    "psn_part_amt",
    "acct_pay",
    "psn_cash_pay",
    "balc",
)


def _existing(
    uow: UnitOfWork, repo: SettlementRepository, request_id: str, kind: str, target: str
) -> Settlement | None:
    """The settlement an earlier request with this id produced (idempotency), or None."""
    found = repo.settlement_by_request(request_id)
    if found is None:
        return None
    same = found.kind == kind and (found.init_setl_id == target if kind == "reversal" else True)
    visit = repo.session.get(Visit, found.visit_id)
    if not same or (kind == "settlement" and (visit is None or visit.mdtrt_id != target)):
        raise conflict(
            "REQUEST_ID_REUSED", f"字段 request_id：请求流水号 {request_id} 已用于其他业务", "request_id"
        )
    return found


def _view(repo: SettlementRepository, row: Settlement) -> SettlementView:
    """A stored settlement with its fund rows and trace, as read back."""
    return SettlementView(row, repo.funds(row.id), json.loads(row.trace))


def settle(
    *,
    uow: UnitOfWork,
    mdtrt_id: str,
    request_id: str,
    mid_stay: bool = False,
    expected_medfee: int | None = None,
    medfee_field: str = "medfee_sumamt",
) -> Settlement:
    """Settle a visit's unsettled lines (结算) once per request id: `settle_view`'s settlement."""
    return settle_view(
        uow=uow,
        mdtrt_id=mdtrt_id,
        request_id=request_id,
        mid_stay=mid_stay,
        expected_medfee=expected_medfee,
        medfee_field=medfee_field,
    ).settlement


def settle_view(
    *,
    uow: UnitOfWork,
    mdtrt_id: str,
    request_id: str,
    mid_stay: bool = False,
    expected_medfee: int | None = None,
    medfee_field: str = "medfee_sumamt",
) -> SettlementView:
    """Settle a visit's unsettled lines (结算) once per request id; everything is written or nothing.
    Answers the settlement with its fund rows and trace as written (a repeat: as first stored).

    The visit is locked first, then the person's year (``FOR UPDATE``), so two bills of one person
    run one after the other and a repeat of a request waits for the first and answers its result.
    The reads are those of `pre_settle` (the lines, the counters and the account read after the
    locks; on PostgreSQL the lines, the year lock and the counters go out in one pipeline); the
    writes are one statement per table whatever the number of lines. With
    `expected_medfee` (the hospital's own total, fen) the bill is refused unless its unsettled lines
    add up to exactly that (MEDFEE_MISMATCH, naming `medfee_field`).
    """
    uow.actor.require(Perm.SETTLE)
    request_id = require_text(request_id, field="request_id", max_len=64, label="请求流水号")
    repo = SettlementRepository(uow.session)
    bills = BillRepository(uow.session)
    found, bill, locked = bills.bill_to_settle(mdtrt_id, request_id)
    visit = _visible_bill(uow, found, mdtrt_id)
    if visit.earlier_id is not None:
        return _view(repo, _first_answer(repo, request_id, visit))
    year = settlement_day(visit).year
    try:
        if visit.status in ("settled", "cancelled"):
            raise conflict("VISIT_CLOSED", f"就诊 {mdtrt_id} 已结算或已撤销，不能再次结算", "mdtrt_id")
        if bill.earlier_id is not None:
            return _view(repo, _first_answer(repo, request_id, visit))
        if expected_medfee is not None:
            _refuse_other_total(bill, expected_medfee, medfee_field)
        policy = _policy_for(uow, visit, bill)
        _refuse_unqualified_doctor(uow, visit.dr_code, settlement_day(visit))
        facts = _catalog_facts(bill.lines, visit)
        _refuse_blocked(uow, visit, bill, facts)
    except BusinessError:
        if bills.earlier(request_id) is not None:  # a concurrent twin settled while we waited for the lock
            return _view(repo, _first_answer(repo, request_id, visit))
        raise
    assert locked is not None  # made with the visit's reads when missing (the first bill of the year)
    person_year_id, counters, balance = locked
    b = _calculate(uow, visit, bill, policy, counters, balance, facts)
    trace: list[dict[str, object]] = [
        {"key": t.key, "amount": t.amount, "clause": t.clause, "text": t.text} for t in b.trace
    ]
    values = {
        "setl_id": uuid.uuid4().hex,
        "request_id": request_id,
        "visit_id": visit.id,
        "psn_no": visit.psn_no,
        "insutype": visit.insutype,
        "insu_admdvs": visit.insu_admdvs,
        "fixmedins_code": visit.fixmedins_code,
        "year": year,
        "kind": "settlement",
        "mid_stay": mid_stay,
        "status": "settled",
        "init_setl_id": None,
        "policy_version": policy.version,
        "review_required": b.review_required,
        "ledger_delta": json.dumps(dict(b.ledger_delta), sort_keys=True),
        "trace": json.dumps(trace, ensure_ascii=False),
        "settled_at": utcnow(),
        "settled_by": uow.actor.username,
        **{name: getattr(b, name) for name in _AMOUNTS},
    }
    splits = {split.sn: split for split in b.lines}
    rows = []
    for line in bill.lines:
        split = splits.get(line.feedetl_sn) if line.refund_of is None else None
        rows.append(
            LineSplitRow(line.id, None, None, None, None, None)
            if split is None
            else LineSplitRow(
                line.id,
                split.fulamt_ownpay,
                split.overlmt_selfpay,
                split.preselfpay,
                split.inscp,
                split.reason[:255],
            )
        )
    visit_changes: dict[str, object] = {} if mid_stay else {"status": "settled"}
    if b.ledger_delta.get("admissions"):
        visit_changes["admission_counted"] = True
    debit = (
        AccountDebit(visit.psn_no, b.acct_pay, values["setl_id"], values["settled_at"])
        if b.acct_pay
        else None
    )
    # The audit rows travel with the writes (on PostgreSQL inside the same statement).
    audit = uow.audit_row(
        action="settlement.settle",
        entity="settlement",
        entity_id=values["setl_id"],
        admdvs=visit.insu_admdvs,
        after={name: getattr(b, name) for name in _AMOUNTS} | {"mdtrt_id": mdtrt_id},
    )
    debit_audit = (
        uow.audit_row(
            action="account.debit", entity="account", entity_id=visit.psn_no, admdvs=visit.insu_admdvs
        )
        if debit is not None
        else None
    )
    try:
        settlement_id, balance_after = bills.write_settlement(
            values,
            b.fund_details,
            rows,
            person_year_id,
            b.ledger_delta,
            counters.keys(),
            visit.id,
            visit_changes,
            debit,
            [audit],
            debit_audit,
        )
    except IntegrityError:
        uow.rollback()
        if repo.settlement_by_request(request_id) is None:
            raise
        return _view(repo, _first_answer(repo, request_id, visit))  # the request id was used meanwhile
    if debit is not None:
        _refuse_uncovered_debit(debit, balance_after)
    settlement = Settlement(**values)
    settlement.id = settlement_id
    kept = _commit_once(uow, repo, settlement, request_id)
    if kept is not settlement:  # a concurrent request with the same id won the race
        return _view(repo, kept)
    funds = [
        SettlementFund(settlement_id=settlement_id, fund_pay_type=kind, amount=amount)
        for kind, amount in b.fund_details
    ]
    return SettlementView(settlement, funds, trace)


def _refuse_other_total(bill: BillLines, expected: int, field: str) -> None:
    """Refuse a bill whose unsettled lines do not add up to the total the hospital sent."""
    total = sum(line.amount for line in bill.lines)
    if total != expected:
        raise invalid(
            "MEDFEE_MISMATCH",
            field,
            f"字段 {field}（{fen_to_yuan(expected)}元）与已上传未结算明细合计（{fen_to_yuan(total)}元）不符",
        )


def _refuse_uncovered_debit(debit: AccountDebit, balance_after: int | None) -> None:
    """Refuse the whole settlement when the personal-account balance no longer covered the debit
    (changed since it was read; nothing is kept)."""
    if balance_after is None:
        raise conflict(
            "ACCOUNT_INSUFFICIENT",
            f"字段 acct_pay：个人账户余额不足，需支付 {fen_to_yuan(debit.amount)} 元，请重新预结算",
            "acct_pay",
        )


def _first_answer(repo: SettlementRepository, request_id: str, visit: BillVisit) -> Settlement:
    """The settlement an earlier request with this id stored (refused if it was for another visit)."""
    found = repo.settlement_by_request(request_id)
    assert found is not None
    if found.kind != "settlement" or found.visit_id != visit.id:
        raise conflict(
            "REQUEST_ID_REUSED", f"字段 request_id：请求流水号 {request_id} 已用于其他业务", "request_id"
        )
    return found


def _commit_once(uow: UnitOfWork, repo: SettlementRepository, row: Settlement, request_id: str) -> Settlement:
    """Commit; if a concurrent request with the same id won the race, answer with its result."""
    try:
        uow.commit()
    except IntegrityError:
        uow.rollback()
        winner = repo.settlement_by_request(request_id)
        if winner is None:
            raise
        return winner
    return row


def reverse(*, uow: UnitOfWork, setl_id: str, request_id: str) -> Settlement:
    """Undo a settlement exactly (冲正): ledger, account and lines restored; the visit may settle again."""
    uow.actor.require(Perm.SETTLE)
    request_id = require_text(request_id, field="request_id", max_len=64, label="请求流水号")
    repo = SettlementRepository(uow.session)
    earlier = _existing(uow, repo, request_id, "reversal", setl_id)
    if earlier is not None:
        return earlier
    original = repo.settlement(setl_id)
    if original is None:
        raise not_found("SETTLEMENT_NOT_FOUND", f"结算 {setl_id} 不存在", "setl_id")
    visit = repo.session.get(Visit, original.visit_id)
    assert visit is not None
    _visible_visit(uow, repo, visit.mdtrt_id, lock=True)
    earlier = _existing(uow, repo, request_id, "reversal", setl_id)  # a concurrent twin may have won the lock
    if earlier is not None:
        return earlier
    repo.session.refresh(original)
    if original.kind != "settlement":
        raise conflict("NOT_REVERSIBLE", f"字段 setl_id：{setl_id} 是冲正记录，不能再冲正", "setl_id")
    if original.status != "settled":
        raise conflict("SETTLEMENT_REVERSED", f"字段 setl_id：结算 {setl_id} 已冲正", "setl_id")
    person_year = repo.lock_person_year(original.psn_no, original.insutype, original.year)
    delta = json.loads(original.ledger_delta)
    repo.apply_delta(person_year.id, repo.counters(person_year.id), engine.reverse_delta(delta))
    reversal = Settlement(
        setl_id=uuid.uuid4().hex,
        request_id=request_id,
        visit_id=original.visit_id,
        psn_no=original.psn_no,
        insutype=original.insutype,
        insu_admdvs=original.insu_admdvs,
        fixmedins_code=original.fixmedins_code,
        year=original.year,
        kind="reversal",
        mid_stay=original.mid_stay,
        status="reversal",
        init_setl_id=setl_id,
        policy_version=original.policy_version,
        review_required=False,
        ledger_delta=json.dumps(engine.reverse_delta(delta)),
        trace="[]",
        settled_at=utcnow(),
        settled_by=uow.actor.username,
        **{name: -getattr(original, name) for name in _AMOUNTS if name != "balc"},
        balc=original.balc + original.acct_pay,
    )
    repo.add(reversal)
    uow.flush()
    uow.session.add_all(
        SettlementFund(settlement_id=reversal.id, fund_pay_type=f.fund_pay_type, amount=-f.amount)
        for f in repo.funds(original.id)
    )
    if original.acct_pay:
        enrolment.reverse_debit(
            uow=uow,
            psn_no=original.psn_no,
            original_reference=setl_id,
            reference=reversal.setl_id,
            commit=False,
        )
    for line in repo.session.query(FeeLine).filter(FeeLine.settlement_id == original.id):
        line.status, line.settlement_id = "uploaded", None
        line.fulamt_ownpay = line.overlmt_selfpay = line.preselfpay = line.inscp = None
        line.split_reason = None
    original.status = "reversed"
    if delta.get("admissions"):
        visit.admission_counted = False
    visit.status = "discharged" if visit.endtime is not None else "open"
    uow.audit(
        action="settlement.reverse",
        entity="settlement",
        entity_id=setl_id,
        admdvs=original.insu_admdvs,
        after={"reversal": reversal.setl_id},
    )
    return _commit_once(uow, repo, reversal, request_id)


# ---------------------------------------------------------------------------------------------
# Chronic disease registration (门诊慢特病登记)


def register_chronic(
    *, uow: UnitOfWork, psn_no: str, disease_code: str, begin: date, end: date | None = None
) -> ChronicRegistration:
    """Register a person for a chronic or special outpatient disease from `begin`."""
    uow.actor.require(Perm.ENROL_WRITE)
    repo = SettlementRepository(uow.session)
    person = repo.person((psn_no or "").strip())
    if person is None or not uow.actor.sees_region(person.admdvs):
        raise not_found("PERSON_NOT_FOUND", f"字段 psn_no：参保人 {psn_no} 不存在", "psn_no")
    code = require_text(disease_code, field="disease_code", max_len=32, label="慢特病病种").upper()
    check_order(begin, end)
    row = ChronicRegistration(
        psn_no=person.psn_no,
        admdvs=person.admdvs,
        disease_code=code,
        begin=begin,
        end=end,
        registered_at=utcnow(),
    )
    repo.add(row)
    uow.flush()
    uow.audit(
        action="chronic.register",
        entity="person",
        entity_id=person.psn_no,
        admdvs=person.admdvs,
        after={"disease_code": code, "begin": begin, "end": end},
    )
    uow.commit()
    return row


# ---------------------------------------------------------------------------------------------
# Queries


def get_visit(*, uow: UnitOfWork, mdtrt_id: str) -> VisitView:
    """A visit with its lines and settlements."""
    uow.actor.require(Perm.SETTLEMENT_READ)
    repo = SettlementRepository(uow.session)
    visit = _visible_visit(uow, repo, mdtrt_id)
    return VisitView(visit, repo.lines(visit.id, unsettled_only=False), repo.settlements_of(visit.id))


def list_visits(
    *,
    uow: UnitOfWork,
    psn_no: str | None = None,
    fixmedins_code: str | None = None,
    page: int = 1,
    size: int = 20,
) -> Page[Visit]:
    """Visits in the actor's regions (an institution operator sees only its own)."""
    uow.actor.require(Perm.SETTLEMENT_READ)
    institution = uow.actor.institution_code or fixmedins_code
    return SettlementRepository(uow.session).search_visits(
        regions=uow.actor.region_filter(), institution=institution, psn_no=psn_no, page=page, size=size
    )


def get_settlement(*, uow: UnitOfWork, setl_id: str) -> SettlementView:
    """A settlement with its fund rows and explanation trace."""
    uow.actor.require(Perm.SETTLEMENT_READ)
    repo = SettlementRepository(uow.session)
    row = repo.settlement(setl_id)
    if (
        row is None
        or not uow.actor.sees_region(row.insu_admdvs)
        or uow.actor.institution_code not in (None, row.fixmedins_code)
    ):
        raise not_found("SETTLEMENT_NOT_FOUND", f"结算 {setl_id} 不存在", "setl_id")
    return _view(repo, row)


def ledger(*, uow: UnitOfWork, psn_no: str, insutype: str, year: int) -> dict[str, int]:
    """A person's year ledger counters (年度累计)."""
    uow.actor.require(Perm.SETTLEMENT_READ)
    repo = SettlementRepository(uow.session)
    person = repo.person(psn_no)
    if person is None or not uow.actor.sees_region(person.admdvs):
        raise not_found("PERSON_NOT_FOUND", f"参保人 {psn_no} 不存在", "psn_no")
    row = repo.person_year(psn_no, insutype, year)
    return repo.counters(row.id) if row is not None else {}


# ---------------------------------------------------------------------------------------------
# Pharmacy purchase (药店购药): one call registers the visit, uploads the lines and settles

PHARMACY_MED_TYPE = "41"  # 定点药店购药


@dataclass(frozen=True)
class PurchaseQuote:
    """A pharmacy pre-settlement (药店预结算): provisional visit and lines, and the bill; nothing stored."""

    visit: Visit
    lines: list[FeeLine]
    breakdown: engine.Breakdown


def _purchase_repeat(
    repo: SettlementRepository, request_id: str, psn_no: str, fixmedins_code: str
) -> Settlement | None:
    """The settlement an earlier purchase with this request id produced, or None; another use is refused."""
    found = repo.settlement_by_request(request_id)
    if found is None:
        return None
    if found.kind != "settlement" or found.psn_no != psn_no or found.fixmedins_code != fixmedins_code:
        raise conflict(
            "REQUEST_ID_REUSED", f"字段 request_id：请求流水号 {request_id} 已用于其他业务", "request_id"
        )
    return found


def _open_purchase(
    uow: UnitOfWork,
    *,
    psn_no: str,
    fixmedins_code: str,
    begntime: datetime,
    fees: Sequence[FeeInput],
    med_type: str,
    insutype: str | None,
    disease_code: str | None,
) -> tuple[Visit, list[FeeLine]]:
    """Register the purchase's visit and upload its lines, flushed but not committed."""
    visit = register_visit(
        uow=uow,
        psn_no=psn_no,
        fixmedins_code=fixmedins_code,
        med_type=med_type,
        begntime=begntime,
        insutype=insutype,
        disease_code=disease_code,
        commit=False,
    )
    lines = upload_fees(uow=uow, mdtrt_id=visit.mdtrt_id, fees=fees, commit=False)
    return visit, lines


def quote_purchase(
    *,
    uow: UnitOfWork,
    psn_no: str,
    fixmedins_code: str,
    begntime: datetime,
    fees: Sequence[FeeInput],
    med_type: str = PHARMACY_MED_TYPE,
    insutype: str | None = None,
    disease_code: str | None = None,
) -> PurchaseQuote:
    """Pre-settle a pharmacy purchase (药店预结算): the checks and bill of `purchase`, then rolled back."""
    uow.actor.require(Perm.SETTLE)
    try:
        visit, lines = _open_purchase(
            uow,
            psn_no=psn_no,
            fixmedins_code=fixmedins_code,
            begntime=begntime,
            fees=fees,
            med_type=med_type,
            insutype=insutype,
            disease_code=disease_code,
        )
        found, bill, counters = BillRepository(uow.session).bill_to_quote(visit.mdtrt_id)
        assert found is not None
        breakdown = _preview(uow, found, bill, counters)
        splits = {split.sn: split for split in breakdown.lines}
        for line in lines:
            split = splits.get(line.feedetl_sn)
            if split is not None and line.refund_of is None:
                line.fulamt_ownpay, line.overlmt_selfpay = split.fulamt_ownpay, split.overlmt_selfpay
                line.preselfpay, line.inscp = split.preselfpay, split.inscp
        uow.session.expunge_all()
    finally:
        uow.rollback()
    return PurchaseQuote(visit, lines, breakdown)


def purchase(
    *,
    uow: UnitOfWork,
    psn_no: str,
    fixmedins_code: str,
    begntime: datetime,
    fees: Sequence[FeeInput],
    request_id: str,
    med_type: str = PHARMACY_MED_TYPE,
    insutype: str | None = None,
    disease_code: str | None = None,
) -> Settlement:
    """Settle a pharmacy purchase (药店结算): visit, lines and settlement in one unit of work, all or
    nothing, once per request id (a repeat answers the first settlement and opens no second visit)."""
    uow.actor.require(Perm.SETTLE)
    request_id = require_text(request_id, field="request_id", max_len=64, label="请求流水号")
    repo = SettlementRepository(uow.session)
    earlier = _purchase_repeat(repo, request_id, psn_no, fixmedins_code)
    if earlier is not None:
        return earlier
    try:
        visit, _lines = _open_purchase(
            uow,
            psn_no=psn_no,
            fixmedins_code=fixmedins_code,
            begntime=begntime,
            fees=fees,
            med_type=med_type,
            insutype=insutype,
            disease_code=disease_code,
        )
        row = settle(uow=uow, mdtrt_id=visit.mdtrt_id, request_id=request_id)
    except BusinessError:
        uow.rollback()  # nothing of this purchase stays: no visit, no lines
        twin = _purchase_repeat(repo, request_id, psn_no, fixmedins_code)
        if twin is None:
            raise
        return twin  # a concurrent repeat settled first
    if row.psn_no != psn_no or row.fixmedins_code != fixmedins_code:  # a concurrent other use of the id won
        raise conflict(
            "REQUEST_ID_REUSED", f"字段 request_id：请求流水号 {request_id} 已用于其他业务", "request_id"
        )
    return row


def reverse_purchase(*, uow: UnitOfWork, setl_id: str, request_id: str) -> Settlement:
    """Undo a pharmacy settlement (药店结算撤销): the settlement is reversed exactly, then the purchase's
    visit and lines are withdrawn (a pharmacy visit is never settled again). Idempotent by request id."""
    row = reverse(uow=uow, setl_id=setl_id, request_id=request_id)
    repo = SettlementRepository(uow.session)
    visit = repo.session.get(Visit, row.visit_id)
    if visit is None or visit.status == "cancelled":
        return row
    visit = _visible_visit(uow, repo, visit.mdtrt_id, lock=True)
    if visit.status == "cancelled" or any(s.status == "settled" for s in repo.settlements_of(visit.id)):
        return row
    for line in repo.lines(visit.id, unsettled_only=True):
        line.status = "cancelled"
    visit.status = "cancelled"
    uow.audit(action="visit.cancel", entity="visit", entity_id=visit.mdtrt_id, admdvs=visit.insu_admdvs)
    uow.commit()
    return row


# ---------------------------------------------------------------------------------------------
# Changing a visit (就诊信息变更) and undoing a discharge (出院撤销)


def _unsettled_visit(uow: UnitOfWork, repo: SettlementRepository, mdtrt_id: str) -> Visit:
    """The visit, locked, if it is neither cancelled nor covered by a settlement in force."""
    visit = _visible_visit(uow, repo, mdtrt_id, lock=True)
    if visit.status == "cancelled":
        raise conflict("VISIT_CANCELLED", f"就诊 {mdtrt_id} 已撤销", "mdtrt_id")
    if visit.status == "settled" or any(s.status == "settled" for s in repo.settlements_of(visit.id)):
        raise conflict("VISIT_SETTLED", f"就诊 {mdtrt_id} 有未冲正的结算，请先撤销结算再变更", "mdtrt_id")
    return visit


def change_visit(
    *,
    uow: UnitOfWork,
    mdtrt_id: str,
    begntime: datetime | None = None,
    med_type: str | None = None,
    diagnoses: Sequence[str] | None = None,
    disease_code: str | None = None,
    dept_code: str | None = None,
    dr_code: str | None = None,
) -> Visit:
    """Change a visit's information (住院信息变更 / 门诊就诊信息): begin, medical type within the same
    kind (inpatient stays inpatient), diagnoses (principal first), disease, department, doctor.
    Only while no settlement is in force; what is not given stays as it is."""
    uow.actor.require(Perm.SETTLE)
    repo = SettlementRepository(uow.session)
    visit = _unsettled_visit(uow, repo, mdtrt_id)
    before = {"begntime": visit.begntime, "med_type": visit.med_type, "diagnoses": visit.diagnoses}
    if med_type is not None:
        med_type = dictionaries(uow.session).require("med_type", med_type, field="med_type")
        if med_type.startswith("2") != visit.med_type.startswith("2"):
            raise invalid(
                "MED_TYPE_KIND",
                "med_type",
                f"字段 med_type：医疗类别 {med_type} 与就诊的 {visit.med_type} 不是同一类（门诊/住院）",
            )
        visit.med_type = med_type
    if begntime is not None:
        if visit.endtime is not None and begntime > visit.endtime:
            raise invalid("DATES_ORDER", "begntime", f"字段 begntime（{begntime}）不能晚于出院时间")
        lines = [line for line in repo.lines(visit.id, unsettled_only=False) if line.status != "cancelled"]
        if any(local_day(line.fee_ocur_time) < local_day(begntime) for line in lines):
            raise invalid(
                "FEE_TIME_RANGE", "begntime", "字段 begntime：已上传的费用明细发生在新的开始时间之前"
            )
        visit.begntime = begntime
    if diagnoses is not None:
        book = icd10(uow.session)
        codes = list(
            dict.fromkeys(book.require_settleable(c, field="diagnoses") for c in diagnoses if c and c.strip())
        )
        if visit.med_type.startswith("2") and not codes:
            raise invalid("DIAGNOSIS_REQUIRED", "diagnoses", "字段 diagnoses 住院就诊必须有诊断")
        visit.diagnoses = "|".join(codes)
    if disease_code is not None:
        visit.disease_code = optional_text(disease_code, field="disease_code", max_len=32, label="慢特病病种")
    if dept_code is not None:
        visit.dept_code = optional_text(dept_code, field="dept_code", max_len=32, label="科室")
    if dr_code is not None:
        visit.dr_code = optional_text(dr_code, field="dr_code", max_len=32, label="医师编码")
    uow.audit(
        action="visit.change",
        entity="visit",
        entity_id=mdtrt_id,
        admdvs=visit.insu_admdvs,
        before=before,
        after={"begntime": visit.begntime, "med_type": visit.med_type, "diagnoses": visit.diagnoses},
    )
    uow.commit()
    return visit


def undo_discharge(*, uow: UnitOfWork, mdtrt_id: str) -> Visit:
    """Undo a discharge (出院撤销): the visit is open again; refused while a settlement is in force."""
    uow.actor.require(Perm.SETTLE)
    repo = SettlementRepository(uow.session)
    visit = _unsettled_visit(uow, repo, mdtrt_id)
    if visit.endtime is None:
        raise conflict("NOT_DISCHARGED", f"就诊 {mdtrt_id} 尚未出院", "mdtrt_id")
    before = visit.endtime
    visit.endtime = None
    visit.status = "open"
    uow.audit(
        action="visit.undo_discharge",
        entity="visit",
        entity_id=mdtrt_id,
        admdvs=visit.insu_admdvs,
        before={"endtime": before},
    )
    uow.commit()
    return visit
