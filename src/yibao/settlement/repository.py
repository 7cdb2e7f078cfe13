"""Queries of the settlement hot path: a fixed handful per bill, never one per line."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, lazyload

from yibao.catalog.models import CatalogItem, CodeMapping
from yibao.core.paging import Page, paginate
from yibao.enrolment.models import Account, Person, Relation
from yibao.institutions.models import Institution
from yibao.settlement.models import (
    ChronicRegistration,
    FeeLine,
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

    def line_sns(self, visit_id: int) -> set[str]:
        return set(self.session.scalars(select(FeeLine.feedetl_sn).where(FeeLine.visit_id == visit_id)))

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

    def deductible_paid(self, visit_id: int) -> int:
        """The deductible already paid by the settlements in force of a visit (mid-stay settlements)."""
        total = self.session.scalar(
            select(func.coalesce(func.sum(Settlement.act_pay_dedc), 0)).where(
                Settlement.visit_id == visit_id, Settlement.status == "settled"
            )
        )
        return int(total or 0)

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

    def mappings(self, fixmedins_code: str, codes: Iterable[str]) -> list[CodeMapping]:
        wanted = sorted(set(codes))
        if not wanted:
            return []
        return list(
            self.session.scalars(
                select(CodeMapping).where(
                    CodeMapping.fixmedins_code == fixmedins_code, CodeMapping.medins_list_codg.in_(wanted)
                )
            )
        )

    def catalog_versions(self, codes: Iterable[str]) -> list[CatalogItem]:
        wanted = sorted(set(codes))
        if not wanted:
            return []
        return list(self.session.scalars(select(CatalogItem).where(CatalogItem.code.in_(wanted))))

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
