"""Queries of claims review, and the reads of settlements and institutions a declaration needs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import Select, distinct, func, select
from sqlalchemy.orm import Session, lazyload

from yibao.core.paging import Page, paginate
from yibao.institutions.models import Institution
from yibao.review.models import (
    CalendarDay,
    CashClaim,
    Declaration,
    DeclaredSettlement,
    ReviewEvent,
    ReviewItem,
    ReviewParameterRow,
)
from yibao.settlement.models import FeeLine, Settlement, Visit


class ReviewRepository:
    """Declarations, items and their timeline; settlements and fee lines read from the settlement area."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: object) -> None:
        self.session.add(row)

    # -- other areas
    def institution(self, fixmedins_code: str) -> Institution | None:
        return self.session.scalar(
            select(Institution)
            .where(Institution.fixmedins_code == fixmedins_code)
            .options(lazyload(Institution.departments))
        )

    def settlements_between(
        self, fixmedins_code: str, admdvs: str, start: datetime, stop: datetime
    ) -> list[tuple[Settlement, str]]:
        """Settlements and reversals of local insured persons at an institution in [start, stop)."""
        rows = self.session.execute(
            select(Settlement, Visit.mdtrt_id)
            .join(Visit, Visit.id == Settlement.visit_id)
            .where(
                Settlement.fixmedins_code == fixmedins_code,
                Settlement.insu_admdvs == admdvs,
                Settlement.settled_at >= start,
                Settlement.settled_at < stop,
            )
            .order_by(Settlement.settled_at, Settlement.id)
        )
        return [(s, m) for s, m in rows]

    def fee_lines(self, setl_ids: Iterable[str]) -> dict[tuple[str, str], FeeLine]:
        """Fee lines settled by these settlements, keyed by (setl_id, feedetl_sn)."""
        wanted = sorted(set(setl_ids))
        if not wanted:
            return {}
        rows = self.session.execute(
            select(Settlement.setl_id, FeeLine)
            .join(FeeLine, FeeLine.settlement_id == Settlement.id)
            .where(Settlement.setl_id.in_(wanted))
        )
        return {(sid, line.feedetl_sn): line for sid, line in rows}

    def visit_lines(self, mdtrt_ids: Iterable[str]) -> dict[tuple[str, str], FeeLine]:
        """Fee lines of visits keyed by (mdtrt_id, feedetl_sn), for lines of reversed settlements."""
        wanted = sorted(set(mdtrt_ids))
        if not wanted:
            return {}
        rows = self.session.execute(
            select(Visit.mdtrt_id, FeeLine)
            .join(FeeLine, FeeLine.visit_id == Visit.id)
            .where(Visit.mdtrt_id.in_(wanted))
        )
        return {(mid, line.feedetl_sn): line for mid, line in rows}

    # -- declarations
    def declaration(self, decl_no: str, *, lock: bool = False) -> Declaration | None:
        stmt = select(Declaration).where(Declaration.decl_no == decl_no)
        return self.session.scalar(stmt.with_for_update() if lock else stmt)

    def declaration_by_id(self, declaration_id: int) -> Declaration | None:
        return self.session.get(Declaration, declaration_id)

    def declaration_of(self, fixmedins_code: str, period: str) -> Declaration | None:
        """The month's declaration in force (a returned one does not count)."""
        return self.session.scalar(
            select(Declaration).where(
                Declaration.fixmedins_code == fixmedins_code,
                Declaration.period == period,
                Declaration.status != "returned",
            )
        )

    def returned_count(self, fixmedins_code: str, period: str) -> int:
        return int(
            self.session.scalar(
                select(func.count()).where(
                    Declaration.fixmedins_code == fixmedins_code,
                    Declaration.period == period,
                    Declaration.status == "returned",
                )
            )
            or 0
        )

    def declarations_in(self, admdvs: str, period: str) -> list[Declaration]:
        """The month's declarations in force of a region."""
        return list(
            self.session.scalars(
                select(Declaration).where(
                    Declaration.admdvs == admdvs,
                    Declaration.period == period,
                    Declaration.status != "returned",
                )
            )
        )

    def search_declarations(
        self,
        *,
        regions: frozenset[str] | None,
        institution: str | None,
        admdvs: str | None,
        period: str | None,
        status: str | None,
        page: int,
        size: int,
    ) -> Page[Declaration]:
        stmt: Select[tuple[Declaration]] = select(Declaration).order_by(
            Declaration.period.desc(), Declaration.fixmedins_code
        )
        if regions is not None:
            stmt = stmt.where(Declaration.admdvs.in_(regions))
        if institution:
            stmt = stmt.where(Declaration.fixmedins_code == institution)
        if admdvs:
            stmt = stmt.where(Declaration.admdvs == admdvs)
        if period:
            stmt = stmt.where(Declaration.period == period)
        if status:
            stmt = stmt.where(Declaration.status == status)
        return paginate(self.session, stmt, page=page, size=size)

    def declared_settlements(self, declaration_id: int) -> list[DeclaredSettlement]:
        return list(
            self.session.scalars(
                select(DeclaredSettlement)
                .where(DeclaredSettlement.declaration_id == declaration_id)
                .order_by(DeclaredSettlement.settled_at, DeclaredSettlement.id)
            )
        )

    def cash_claims(self, declaration_id: int) -> list[CashClaim]:
        return list(
            self.session.scalars(
                select(CashClaim).where(CashClaim.declaration_id == declaration_id).order_by(CashClaim.id)
            )
        )

    def invoices_used(self, fixmedins_code: str, invoice_nos: Iterable[str]) -> set[str]:
        wanted = sorted(set(invoice_nos))
        if not wanted:
            return set()
        return set(
            self.session.scalars(
                select(CashClaim.invoice_no)
                .join(Declaration, Declaration.id == CashClaim.declaration_id)
                .where(
                    CashClaim.fixmedins_code == fixmedins_code,
                    CashClaim.invoice_no.in_(wanted),
                    Declaration.status != "returned",
                )
            )
        )

    # -- items
    def item(self, item_id: int, *, lock: bool = False) -> ReviewItem | None:
        stmt = select(ReviewItem).where(ReviewItem.id == item_id)
        return self.session.scalar(stmt.with_for_update() if lock else stmt)

    def items_of(self, declaration_id: int, *, lock: bool = False) -> list[ReviewItem]:
        stmt = select(ReviewItem).where(ReviewItem.declaration_id == declaration_id).order_by(ReviewItem.id)
        return list(self.session.scalars(stmt.with_for_update() if lock else stmt))

    def finding_ids(self, declaration_ids: Iterable[int]) -> set[tuple[int, str]]:
        ids = sorted(set(declaration_ids))
        if not ids:
            return set()
        rows = self.session.execute(
            select(ReviewItem.declaration_id, ReviewItem.finding_id).where(
                ReviewItem.declaration_id.in_(ids), ReviewItem.finding_id.is_not(None)
            )
        )
        return {(d, f) for d, f in rows if f is not None}

    def items_in(self, admdvs: str, period: str) -> list[ReviewItem]:
        return list(
            self.session.scalars(
                select(ReviewItem).where(ReviewItem.admdvs == admdvs, ReviewItem.period == period)
            )
        )

    def overdue(self, today: date, *, lock: bool = True) -> list[ReviewItem]:
        stmt = select(ReviewItem).where(ReviewItem.status == "deducted", ReviewItem.answer_due < today)
        return list(self.session.scalars(stmt.with_for_update() if lock else stmt))

    def offence_periods(
        self, fixmedins_code: str, reason_code: str, first: str, last: str, today: date
    ) -> int:
        """Earlier periods in [first, last] with a final (or silently accepted) deduction for the reason."""
        stmt = select(func.count(distinct(ReviewItem.period))).where(
            ReviewItem.fixmedins_code == fixmedins_code,
            ReviewItem.reason_code == reason_code,
            ReviewItem.period >= first,
            ReviewItem.period <= last,
            (ReviewItem.status.in_(["accepted", "accepted_silent", "upheld"]))
            | ((ReviewItem.status == "deducted") & (ReviewItem.answer_due < today)),
        )
        return int(self.session.scalar(stmt) or 0)

    def search_items(
        self,
        *,
        regions: frozenset[str] | None,
        institution: str | None,
        admdvs: str | None,
        period: str | None,
        statuses: list[str] | None,
        reason_code: str | None,
        source: str | None,
        page: int,
        size: int,
    ) -> Page[ReviewItem]:
        stmt: Select[tuple[ReviewItem]] = select(ReviewItem).order_by(ReviewItem.id.desc())
        if regions is not None:
            stmt = stmt.where(ReviewItem.admdvs.in_(regions))
        if institution:
            stmt = stmt.where(ReviewItem.fixmedins_code == institution)
        if admdvs:
            stmt = stmt.where(ReviewItem.admdvs == admdvs)
        if period:
            stmt = stmt.where(ReviewItem.period == period)
        if statuses:
            stmt = stmt.where(ReviewItem.status.in_(statuses))
        if reason_code:
            stmt = stmt.where(
                (ReviewItem.reason_code == reason_code) | (ReviewItem.suggested_reason == reason_code)
            )
        if source:
            stmt = stmt.where(ReviewItem.source == source)
        return paginate(self.session, stmt, page=page, size=size)

    def events_of(self, declaration_id: int) -> list[ReviewEvent]:
        return list(
            self.session.scalars(
                select(ReviewEvent)
                .where(ReviewEvent.declaration_id == declaration_id)
                .order_by(ReviewEvent.at, ReviewEvent.id)
            )
        )

    # -- parameters and calendar
    def parameter_rows(self, admdvs: str) -> list[ReviewParameterRow]:
        return list(
            self.session.scalars(
                select(ReviewParameterRow)
                .where(ReviewParameterRow.admdvs == admdvs)
                .order_by(ReviewParameterRow.begin)
            )
        )

    def calendar(self) -> list[CalendarDay]:
        return list(self.session.scalars(select(CalendarDay).order_by(CalendarDay.day)))

    def calendar_day(self, day: date) -> CalendarDay | None:
        return self.session.scalar(select(CalendarDay).where(CalendarDay.day == day))
