"""Queries of the interface area (always filtered to the actor's regions where the caller is staff)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Integer, String, Table, bindparam, func, insert, literal_column, or_, select
from sqlalchemy.orm import Session

from yibao.catalog.models import CatalogItem, CodeMapping
from yibao.core.paging import Page, paginate
from yibao.core.prepared import fetch_all, fetch_each
from yibao.core.uow import commit_with
from yibao.enrolment.models import Account, Person, Relation
from yibao.institutions.models import Institution
from yibao.interface.models import (
    Credential,
    InterfaceFile,
    Message,
    Reconciliation,
    SignIn,
    VisitSpecialFlag,
)
from yibao.payment.models import PaymentMethod
from yibao.policy.models import PolicyVersion
from yibao.reference.models import IcdCode, RefDataset
from yibao.settlement.models import FeeLine, Settlement, SettlementFund, Visit

_ONE = select(literal_column("1").label("one")).subquery("one")
_GATEWAY_READS = select(
    Message.fixmedins_code,
    Message.infno,
    Message.response,
    SignIn.fixmedins_code.label("sign_fixmedins_code"),
    SignIn.signed_out_at,
).select_from(
    _ONE.outerjoin(Message, Message.msgid == bindparam("msgid", type_=String)).outerjoin(
        SignIn,
        SignIn.sign_no == bindparam("sign_no", type_=String),  # NULL matches no sign-in
    )
)
_PERSON = select(cast(Table, Person.__table__)).where(Person.psn_no == bindparam("psn_no", type_=String))
_RELATIONS = (
    select(cast(Table, Relation.__table__))
    .where(Relation.psn_no == bindparam("psn_no", type_=String))
    .order_by(Relation.id)
)
_VISIT = select(cast(Table, Visit.__table__)).where(Visit.mdtrt_id == bindparam("mdtrt_id", type_=String))
_FUNDS = (
    select(cast(Table, SettlementFund.__table__))
    .where(SettlementFund.settlement_id == bindparam("settlement_id", type_=Integer))
    .order_by(SettlementFund.id)
)
_MESSAGE_TABLE = cast(Table, Message.__table__)
_ADD_MESSAGE = insert(_MESSAGE_TABLE).values(
    {
        name: bindparam(name, type_=_MESSAGE_TABLE.c[name].type)
        for name in (
            "msgid",
            "infno",
            "fixmedins_code",
            "admdvs",
            "opter",
            "psn_no",
            "mdtrt_id",
            "setl_id",
            "request",
            "response",
            "reversed_by",
            "received_at",
        )
    }
)


@dataclass(frozen=True)
class StoredAnswer:
    """A message already answered under a msgid: whose, which transaction, the first answer."""

    fixmedins_code: str
    infno: str
    response: str


@dataclass(frozen=True)
class SignInState:
    """A sign-in as the gateway checks it."""

    fixmedins_code: str
    signed_out: bool


@dataclass(frozen=True)
class GatewayReads:
    earlier: StoredAnswer | None
    signed: SignInState | None


class InterfaceRepository:
    """Credentials, messages, sign-ins and reconciliations; reads of visits, persons and catalog items."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: object) -> None:
        self.session.add(row)

    # credentials -----------------------------------------------------------------------------
    def credential(self, access_key: str) -> Credential | None:
        return self.session.scalar(select(Credential).where(Credential.access_key == access_key))

    def credential_by_id(self, credential_id: int) -> Credential | None:
        return self.session.get(Credential, credential_id)

    def search_credentials(
        self, *, regions: frozenset[str] | None, q: str | None, page: int, size: int
    ) -> Page[Credential]:
        stmt = select(Credential).order_by(Credential.id.desc())
        if regions is not None:
            stmt = stmt.where(Credential.admdvs.in_(regions))
        if q:
            like = f"%{q.strip()}%"
            stmt = stmt.where(or_(Credential.fixmedins_code.like(like), Credential.access_key.like(like)))
        return paginate(self.session, stmt, page=page, size=size)

    def institution(self, fixmedins_code: str) -> Institution | None:
        return self.session.scalar(select(Institution).where(Institution.fixmedins_code == fixmedins_code))

    # messages --------------------------------------------------------------------------------
    def message(self, msgid: str) -> Message | None:
        return self.session.scalar(select(Message).where(Message.msgid == msgid))

    def search_messages(
        self,
        *,
        regions: frozenset[str] | None,
        q: str | None,
        infno: str | None,
        fixmedins_code: str | None,
        page: int,
        size: int,
    ) -> Page[Message]:
        stmt = select(Message).order_by(Message.id.desc())
        if regions is not None:
            stmt = stmt.where(Message.admdvs.in_(regions))
        if infno:
            stmt = stmt.where(Message.infno == infno.strip())
        if fixmedins_code:
            stmt = stmt.where(Message.fixmedins_code == fixmedins_code.strip())
        if q:
            like = f"%{q.strip()}%"
            stmt = stmt.where(
                or_(
                    Message.msgid.like(like),
                    Message.psn_no.like(like),
                    Message.mdtrt_id.like(like),
                    Message.setl_id.like(like),
                )
            )
        return paginate(self.session, stmt, page=page, size=size)

    def gateway_reads(self, msgid: str, sign_no: str | None) -> GatewayReads:
        """What the gateway checks before serving a call, in one statement: the message already stored
        under this msgid (its institution, infno and first answer) and the sign-in named by sign_no
        (its institution and whether it is signed out). On PostgreSQL a prepared statement that shares
        its round trip with the BEGIN of the call's transaction."""
        rows = fetch_all(self.session.connection(), _GATEWAY_READS, {"msgid": msgid, "sign_no": sign_no})
        row = rows[0]
        earlier = StoredAnswer(row[0], row[1], row[2]) if row[1] is not None else None
        signed = SignInState(row[3], row[4] is not None) if row[3] is not None else None
        return GatewayReads(earlier, signed)

    def add_message(self, values: dict[str, Any]) -> None:
        """Insert one message row and commit the call's transaction with it: on PostgreSQL the row (one
        prepared statement, no read back), the pending audit rows and the COMMIT in one round trip."""
        commit_with(self.session, [(_ADD_MESSAGE, values)])

    # sign-ins --------------------------------------------------------------------------------
    def sign_in(self, sign_no: str) -> SignIn | None:
        return self.session.scalar(select(SignIn).where(SignIn.sign_no == sign_no))

    # reconciliations -------------------------------------------------------------------------
    def search_reconciliations(
        self, *, regions: frozenset[str] | None, fixmedins_code: str | None, page: int, size: int
    ) -> Page[Reconciliation]:
        stmt = select(Reconciliation).order_by(Reconciliation.id.desc())
        if regions is not None:
            stmt = stmt.where(Reconciliation.admdvs.in_(regions))
        if fixmedins_code:
            stmt = stmt.where(Reconciliation.fixmedins_code == fixmedins_code.strip())
        return paginate(self.session, stmt, page=page, size=size)

    # reads of other areas --------------------------------------------------------------------
    def person(self, psn_no: str) -> Person | None:
        return self.session.scalar(select(Person).where(Person.psn_no == psn_no))

    def person_by_certno(self, certno: str) -> Person | None:
        return self.session.scalar(select(Person).where(Person.certno == certno))

    def relations(self, psn_no: str) -> list[Relation]:
        return list(
            self.session.scalars(select(Relation).where(Relation.psn_no == psn_no).order_by(Relation.id))
        )

    def person_and_relations(self, psn_no: str) -> tuple[Person | None, list[Relation]]:
        """The person and their relations (参保关系), read together (one round trip on PostgreSQL)."""
        person, relations, _funds = self.answer_reads(psn_no, None)
        return person, relations

    def answer_reads(
        self, psn_no: str, settlement_id: int | None
    ) -> tuple[Person | None, list[Relation], list[SettlementFund]]:
        """What a settlement answer reads besides the settlement: the person, their relations and the
        settlement's funds, as prepared statements sent together (one round trip on PostgreSQL). The
        rows come back as transient objects (not in the session: read-only answers)."""
        statements: list[tuple[Any, dict[str, Any]]] = [
            (_PERSON, {"psn_no": psn_no}),
            (_RELATIONS, {"psn_no": psn_no}),
        ]
        if settlement_id is not None:
            statements.append((_FUNDS, {"settlement_id": settlement_id}))
        answers = fetch_each(self.session.connection(), statements)
        person = Person(**answers[0][0]._asdict()) if answers[0] else None
        relations = [Relation(**row._asdict()) for row in answers[1]]
        funds = [SettlementFund(**row._asdict()) for row in answers[2]] if settlement_id is not None else []
        return person, relations, funds

    def visit_and_person(
        self, mdtrt_id: str, psn_no: str
    ) -> tuple[Visit | None, Person | None, list[Relation]]:
        """A visit, and the person named by the caller with their relations, read together (one round
        trip on PostgreSQL) as transient objects: what a settlement's checks and answer need."""
        visits, people, relations = fetch_each(
            self.session.connection(),
            [
                (_VISIT, {"mdtrt_id": mdtrt_id}),
                (_PERSON, {"psn_no": psn_no}),
                (_RELATIONS, {"psn_no": psn_no}),
            ],
        )
        return (
            Visit(**visits[0]._asdict()) if visits else None,
            Person(**people[0]._asdict()) if people else None,
            [Relation(**row._asdict()) for row in relations],
        )

    def account(self, psn_no: str) -> Account | None:
        return self.session.scalar(select(Account).where(Account.psn_no == psn_no))

    def visit(self, mdtrt_id: str) -> Visit | None:
        stmt = select(Visit).where(Visit.mdtrt_id == mdtrt_id)
        return self.session.scalar(stmt.execution_options(populate_existing=True))

    def visits_of(self, psn_no: str, fixmedins_code: str, begin: datetime, end: datetime) -> list[Visit]:
        return list(
            self.session.scalars(
                select(Visit)
                .where(
                    Visit.psn_no == psn_no,
                    Visit.fixmedins_code == fixmedins_code,
                    Visit.begntime >= begin,
                    Visit.begntime <= end,
                )
                .order_by(Visit.begntime)
            )
        )

    def lines(self, visit_id: int) -> list[FeeLine]:
        """The visit's lines as stored now (fresh even when the call's session holds them already: the
        settlement writes their splits with its own statements)."""
        stmt = select(FeeLine).where(FeeLine.visit_id == visit_id).order_by(FeeLine.id)
        return list(self.session.scalars(stmt.execution_options(populate_existing=True)))

    def settlement(self, setl_id: str) -> Settlement | None:
        stmt = select(Settlement).where(Settlement.setl_id == setl_id)
        return self.session.scalar(stmt.execution_options(populate_existing=True))

    def funds(self, settlement_ids: Iterable[int]) -> list[SettlementFund]:
        ids = list(settlement_ids)
        if not ids:
            return []
        return list(
            self.session.scalars(
                select(SettlementFund)
                .where(SettlementFund.settlement_id.in_(ids))
                .order_by(SettlementFund.id)
            )
        )

    def settlements_between(self, fixmedins_code: str, begin: datetime, end: datetime) -> list[Settlement]:
        return list(
            self.session.scalars(
                select(Settlement)
                .where(
                    Settlement.fixmedins_code == fixmedins_code,
                    Settlement.settled_at >= begin,
                    Settlement.settled_at < end,
                )
                .order_by(Settlement.id)
            )
        )

    def visits_by_ids(self, ids: Iterable[int]) -> dict[int, Visit]:
        wanted = list(set(ids))
        if not wanted:
            return {}
        return {v.id: v for v in self.session.scalars(select(Visit).where(Visit.id.in_(wanted)))}

    def catalog_items(self, codes: Iterable[str]) -> dict[str, CatalogItem]:
        """The newest version of each national catalog item named."""
        wanted = sorted(set(codes))
        if not wanted:
            return {}
        found: dict[str, CatalogItem] = {}
        for item in self.session.scalars(
            select(CatalogItem).where(CatalogItem.code.in_(wanted)).order_by(CatalogItem.begin)
        ):
            found[item.code] = item
        return found

    def settlement_by_request(self, request_id: str) -> Settlement | None:
        return self.session.scalar(select(Settlement).where(Settlement.request_id == request_id))

    def batch_lines(self, mdtrt_id: str, chrg_bchno: str) -> list[str]:
        """The feedetl_sn of the lines uploaded (2204) for a visit under a charge batch number."""
        sns: list[str] = []
        for message in self.session.scalars(
            select(Message).where(
                Message.mdtrt_id == mdtrt_id, Message.infno == "2204", Message.reversed_by.is_(None)
            )
        ):
            body = json.loads(message.request)
            rows = (body.get("input") or {}).get("feedetail") or []
            for row in rows if isinstance(rows, list) else [rows]:
                if isinstance(row, dict) and str(row.get("chrg_bchno", "")).strip() == chrg_bchno:
                    sns.append(str(row.get("feedetl_sn", "")).strip())
        return sns

    def institutions(
        self, *, admdvs: str, fixmedins_type: str, code: str | None, name: str | None
    ) -> list[Institution]:
        """Institutions of one region and type, by code or part of the name (at most 100)."""
        stmt = select(Institution).where(
            Institution.admdvs == admdvs, Institution.fixmedins_type == fixmedins_type
        )
        if code:
            stmt = stmt.where(Institution.fixmedins_code == code)
        if name:
            stmt = stmt.where(Institution.name.like(f"%{name}%"))
        return list(self.session.scalars(stmt.order_by(Institution.fixmedins_code).limit(100)))

    def chronic_visits(self, psn_no: str, admdvs: str, begin: datetime, end: datetime) -> list[Visit]:
        """The person's chronic-disease outpatient visits (med_type 14) in a region and period."""
        return list(
            self.session.scalars(
                select(Visit)
                .where(
                    Visit.psn_no == psn_no,
                    Visit.insu_admdvs == admdvs,
                    Visit.med_type == "14",
                    Visit.begntime >= begin,
                    Visit.begntime <= end,
                )
                .order_by(Visit.begntime)
            )
        )

    # ------------------------------------------------------------------ files and catalog downloads

    def file(self, file_qury_no: str) -> InterfaceFile | None:
        return self.session.scalars(
            select(InterfaceFile).where(InterfaceFile.file_qury_no == file_qury_no)
        ).one_or_none()

    def catalog_changed_after(self, list_types: Iterable[str], after: datetime | None) -> list[CatalogItem]:
        """Catalog versions of the list types changed after `after` (all if None), oldest change first."""
        query = select(CatalogItem).where(CatalogItem.list_type.in_(sorted(set(list_types))))
        if after is not None:
            query = query.where(CatalogItem.updated_at > after)
        return list(self.session.scalars(query.order_by(CatalogItem.updated_at, CatalogItem.id)))

    def icd_dataset(self, system: str) -> RefDataset | None:
        """The ICD data set in force of `system` (icd10 / icd9)."""
        return self.session.scalars(
            select(RefDataset).where(RefDataset.kind == system, RefDataset.end.is_(None))
        ).first()

    def icd_rows(self, dataset_id: int) -> list[IcdCode]:
        return list(
            self.session.scalars(
                select(IcdCode).where(IcdCode.dataset_id == dataset_id).order_by(IcdCode.code)
            )
        )

    def special_flag(self, mdtrt_id: str, flag_type: str, flag: str) -> VisitSpecialFlag | None:
        """The visit's special attribute of this type and value (2406 answers it again, not twice)."""
        return self.session.scalar(
            select(VisitSpecialFlag).where(
                VisitSpecialFlag.mdtrt_id == mdtrt_id,
                VisitSpecialFlag.flag_type == flag_type,
                VisitSpecialFlag.flag == flag,
            )
        )

    def special_flags(
        self, *, fixmedins_code: str, filters: dict[str, str], page: int, size: int
    ) -> Page[tuple[VisitSpecialFlag, Person]]:
        """An institution's visit special attributes (2407) with their persons, matching every filter
        (a column of the attribute, or psn_cert_type/certno/psn_name of the person), oldest first."""
        person_columns = {"certno": Person.certno, "psn_name": Person.name}
        stmt = (
            select(VisitSpecialFlag, Person)
            .join(Person, Person.psn_no == VisitSpecialFlag.psn_no)
            .where(VisitSpecialFlag.fixmedins_code == fixmedins_code)
        )
        for name, value in filters.items():
            column = person_columns.get(name) or getattr(VisitSpecialFlag, name)
            stmt = stmt.where(column == value)
        stmt = stmt.order_by(VisitSpecialFlag.id)
        total = self.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
        rows = self.session.execute(stmt.limit(size).offset((page - 1) * size)).tuples().all()
        return Page(items=list(rows), total=total, page=page, size=size)

    def policy_versions(self, admdvs: str) -> list[PolicyVersion]:
        """Every policy version of the region, oldest load first (the 1309 disease list's source)."""
        query = select(PolicyVersion).where(PolicyVersion.admdvs == admdvs)
        return list(self.session.scalars(query.order_by(PolicyVersion.loaded_at, PolicyVersion.id)))

    def single_disease_methods(self, admdvs: str) -> list[PaymentMethod]:
        """The region's 按病种付费 terms (method single_disease), oldest first (1310's source)."""
        query = select(PaymentMethod).where(
            PaymentMethod.admdvs == admdvs, PaymentMethod.method == "single_disease"
        )
        return list(self.session.scalars(query.order_by(PaymentMethod.created_at, PaymentMethod.id)))

    def catalog_page(
        self,
        *,
        code: str | None,
        name: str | None,
        list_type: str | None,
        chrgitm_lv: str | None,
        updated_after: datetime | None,
        page: int,
        size: int,
        valid_on: date | None = None,
        invalid_on: date | None = None,
    ) -> Page[CatalogItem]:
        """Catalog versions filtered as 1304/1312/1316/1318/1319 ask (in force on `valid_on`, or not in
        force on `invalid_on`, when given), changed after `updated_after`, by change."""
        query = select(CatalogItem)
        if valid_on is not None:
            query = query.where(
                CatalogItem.begin <= valid_on, or_(CatalogItem.end.is_(None), CatalogItem.end >= valid_on)
            )
        if invalid_on is not None:
            query = query.where(or_(CatalogItem.begin > invalid_on, CatalogItem.end < invalid_on))
        if code:
            query = query.where(CatalogItem.code == code)
        if name:
            query = query.where(CatalogItem.name.contains(name))
        if list_type:
            query = query.where(CatalogItem.list_type == list_type)
        if chrgitm_lv:
            query = query.where(CatalogItem.chrgitm_lv == chrgitm_lv)
        if updated_after is not None:
            query = query.where(CatalogItem.updated_at >= updated_after)
        return paginate(
            self.session, query.order_by(CatalogItem.updated_at, CatalogItem.id), page=page, size=size
        )

    def mapping_page(
        self,
        *,
        fixmedins_code: str,
        medins_list_codg: str | None,
        hilist_code: str | None,
        list_type: str | None,
        updated_after: datetime | None,
        page: int,
        size: int,
    ) -> Page[CodeMapping]:
        """An institution's approved or revoked mappings (医药机构目录匹配) for 1317."""
        query = select(CodeMapping).where(
            CodeMapping.fixmedins_code == fixmedins_code, CodeMapping.status.in_(("approved", "revoked"))
        )
        if medins_list_codg:
            query = query.where(CodeMapping.medins_list_codg == medins_list_codg)
        if hilist_code:
            query = query.where(CodeMapping.hilist_code == hilist_code)
        if list_type:
            query = query.where(CodeMapping.list_type == list_type)
        if updated_after is not None:
            query = query.where(CodeMapping.decided_at >= updated_after)
        return paginate(self.session, query.order_by(CodeMapping.id), page=page, size=size)
