"""Queries of the payment area: payment tables, methods, clearings; settlements read for clearing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from yibao.catalog.models import CatalogItem
from yibao.enrolment.models import Person
from yibao.payment.models import (
    Clearing,
    ClearingLine,
    PaymentMethod,
    PaymentOrder,
    PaymentTable,
    PaymentTableRow,
)
from yibao.settlement.models import FeeLine, Settlement, Visit, VisitProcedure


@dataclass(frozen=True)
class SettledCase:
    """A settlement of the period with what payment needs of its visit and person."""

    setl_id: str
    fixmedins_code: str
    insutype: str
    kind: str
    status: str
    medfee_sumamt: int
    fund_pay_sumamt: int
    med_type: str
    dedc_level: str
    begntime: datetime
    endtime: datetime | None
    diagnoses: str
    psn_no: str
    gend: str | None
    birth_date: date | None
    settled_at: datetime | None = None
    procedures: str = ""  # the visit's procedures, main first, `|`-separated (出院办理 oprninfo)


class PaymentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- tables
    def tables(self, *, regions: frozenset[str] | None, admdvs: str | None = None) -> list[PaymentTable]:
        stmt = select(PaymentTable)
        if regions is not None:
            stmt = stmt.where(PaymentTable.admdvs.in_(regions))
        if admdvs:
            stmt = stmt.where(PaymentTable.admdvs == admdvs)
        return list(
            self.session.scalars(stmt.order_by(PaymentTable.admdvs, PaymentTable.name, PaymentTable.begin))
        )

    def table(self, table_id: int) -> PaymentTable | None:
        return self.session.get(PaymentTable, table_id)

    def versions(self, admdvs: str, name: str) -> list[PaymentTable]:
        stmt = select(PaymentTable).where(PaymentTable.admdvs == admdvs, PaymentTable.name == name)
        return list(self.session.scalars(stmt.order_by(PaymentTable.begin)))

    def rows(self, table_id: int, *, q: str | None = None, limit: int | None = None) -> list[PaymentTableRow]:
        stmt = select(PaymentTableRow).where(PaymentTableRow.table_id == table_id)
        if q:
            like = f"%{q}%"
            stmt = stmt.where(PaymentTableRow.drg_code.like(like) | PaymentTableRow.drg_name.like(like))
        stmt = stmt.order_by(PaymentTableRow.drg_code)
        if limit:
            stmt = stmt.limit(limit)
        return list(self.session.scalars(stmt))

    def add(self, row: object) -> None:
        self.session.add(row)

    def add_all(self, rows: Iterable[object]) -> None:
        self.session.add_all(list(rows))

    # -- methods
    def methods(self, *, regions: frozenset[str] | None, admdvs: str | None = None) -> list[PaymentMethod]:
        stmt = select(PaymentMethod)
        if regions is not None:
            stmt = stmt.where(PaymentMethod.admdvs.in_(regions))
        if admdvs:
            stmt = stmt.where(PaymentMethod.admdvs == admdvs)
        return list(
            self.session.scalars(
                stmt.order_by(PaymentMethod.admdvs, PaymentMethod.fixmedins_code, PaymentMethod.begin)
            )
        )

    def methods_of_region(self, admdvs: str) -> list[PaymentMethod]:
        return list(self.session.scalars(select(PaymentMethod).where(PaymentMethod.admdvs == admdvs)))

    # -- clearing
    def clearing(self, clearing_id: int) -> Clearing | None:
        return self.session.get(Clearing, clearing_id)

    def clearing_by_period(self, admdvs: str, period_kind: str, period: str) -> Clearing | None:
        stmt = select(Clearing).where(
            Clearing.admdvs == admdvs, Clearing.period_kind == period_kind, Clearing.period == period
        )
        return self.session.scalars(stmt).first()

    def clearings(self, *, regions: frozenset[str] | None, admdvs: str | None = None) -> list[Clearing]:
        stmt = select(Clearing)
        if regions is not None:
            stmt = stmt.where(Clearing.admdvs.in_(regions))
        if admdvs:
            stmt = stmt.where(Clearing.admdvs == admdvs)
        return list(self.session.scalars(stmt.order_by(Clearing.begin.desc(), Clearing.period_kind)))

    def lines(self, clearing_id: int) -> list[ClearingLine]:
        stmt = select(ClearingLine).where(ClearingLine.clearing_id == clearing_id)
        return list(self.session.scalars(stmt.order_by(ClearingLine.fixmedins_code)))

    def orders(self, clearing_id: int) -> list[PaymentOrder]:
        stmt = select(PaymentOrder).where(PaymentOrder.clearing_id == clearing_id)
        return list(self.session.scalars(stmt.order_by(PaymentOrder.fixmedins_code)))

    def paid_within(self, admdvs: str, begin: date, end: date, *, kinds: tuple[str, ...]) -> dict[str, int]:
        """Σ payment orders per institution of earlier clearings inside [begin, end] of the given kinds."""
        stmt = (
            select(PaymentOrder.fixmedins_code, func.sum(PaymentOrder.amount))
            .join(Clearing, Clearing.id == PaymentOrder.clearing_id)
            .where(
                Clearing.admdvs == admdvs,
                Clearing.period_kind.in_(kinds),
                Clearing.begin >= begin,
                Clearing.end <= end,
            )
            .group_by(PaymentOrder.fixmedins_code)
        )
        return {code: int(total or 0) for code, total in self.session.execute(stmt)}

    def order_count(self) -> int:
        return int(self.session.scalar(select(func.count(PaymentOrder.id))) or 0)

    # -- settlements of the period (read across areas by business code, one query)
    def settled_cases(self, admdvs: str, start: datetime, stop: datetime) -> list[SettledCase]:
        stmt = (
            select(
                Settlement.setl_id,
                Settlement.fixmedins_code,
                Settlement.insutype,
                Settlement.kind,
                Settlement.status,
                Settlement.medfee_sumamt,
                Settlement.fund_pay_sumamt,
                Visit.med_type,
                Visit.dedc_level,
                Visit.begntime,
                Visit.endtime,
                Visit.diagnoses,
                Settlement.psn_no,
                Person.gend,
                Person.birth_date,
                Settlement.settled_at,
                Visit.id,
            )
            .join(Visit, Visit.id == Settlement.visit_id)
            .outerjoin(Person, Person.psn_no == Settlement.psn_no)
            .where(
                Settlement.insu_admdvs == admdvs, Settlement.settled_at >= start, Settlement.settled_at < stop
            )
            .order_by(Settlement.id)
        )
        procedures = self._procedures(admdvs, start, stop)
        out = []
        for row in self.session.execute(stmt):
            *fields, visit_id = tuple(row)
            out.append(replace(SettledCase(*fields), procedures=procedures.get(visit_id, "")))
        return out

    def _procedures(self, admdvs: str, start: datetime, stop: datetime) -> dict[int, str]:
        """The procedures of the period's settled visits (main first, `|`-joined), in one query."""
        stmt = (
            select(VisitProcedure.visit_id, VisitProcedure.seq, VisitProcedure.code)
            .join(Settlement, Settlement.visit_id == VisitProcedure.visit_id)
            .where(
                Settlement.insu_admdvs == admdvs, Settlement.settled_at >= start, Settlement.settled_at < stop
            )
            .distinct()
            .order_by(VisitProcedure.visit_id, VisitProcedure.seq)
        )
        codes: dict[int, list[str]] = {}
        for visit_id, _seq, code in self.session.execute(stmt):
            codes.setdefault(visit_id, []).append(code)
        return {visit_id: "|".join(found) for visit_id, found in codes.items()}

    def inpatient_drug_costs(
        self, admdvs: str, start: datetime, stop: datetime
    ) -> dict[str, tuple[int, int]]:
        """Per institution: (drug fee, all fees) of the fee lines of the period's inpatient
        settlements still in force; a line is a drug when its national code is in the drug catalog."""
        drugs = select(CatalogItem.code).where(CatalogItem.kind == "drug").distinct()
        drug_amount = case((FeeLine.hilist_code.in_(drugs), FeeLine.amount), else_=0)
        stmt = (
            select(Settlement.fixmedins_code, func.sum(drug_amount), func.sum(FeeLine.amount))
            .join(FeeLine, FeeLine.settlement_id == Settlement.id)
            .join(Visit, Visit.id == Settlement.visit_id)
            .where(
                Settlement.insu_admdvs == admdvs,
                Settlement.settled_at >= start,
                Settlement.settled_at < stop,
                Settlement.kind == "settlement",
                Settlement.status == "settled",
                Visit.med_type.like("2%"),
            )
            .group_by(Settlement.fixmedins_code)
        )
        return {code: (int(drug or 0), int(total or 0)) for code, drug, total in self.session.execute(stmt)}
