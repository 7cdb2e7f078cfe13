"""Queries on enrolment records (always filtered to the regions the caller may see)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from yibao.core.paging import Page, paginate
from yibao.enrolment.models import (
    Account,
    AccountEntry,
    Contribution,
    Person,
    PersonSequence,
    Relation,
    Transfer,
    Unit,
    relation_snapshot,
)
from yibao.regions.models import Region


@dataclass(frozen=True, slots=True)
class RelationRow:
    """A relation as a batch reads it: plain values, no ORM object (a file's batch may hold 100,000s)."""

    id: int
    person_id: int
    psn_no: str
    insutype: str
    psn_type: str
    admdvs: str
    unit_id: int | None
    idet_type: str | None
    disa_lv: str | None
    begin: date
    end: date | None
    waiting_end: date | None
    status: str

    def snapshot(self) -> dict[str, object]:
        """As `Relation.snapshot()`."""
        return relation_snapshot(self)


_RELATION_COLUMNS = tuple(RelationRow.__slots__)


class EnrolmentRepository:
    """Units, persons, relations, contributions, accounts and transfers."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # regions (another area's table, read only) ---------------------------------------------
    def region_exists(self, admdvs: str) -> bool:
        return self.session.scalar(select(Region.id).where(Region.admdvs == admdvs)) is not None

    def regions_existing(self, codes: set[str]) -> set[str]:
        """Which of these region codes exist (one query)."""
        if not codes:
            return set()
        return set(self.session.scalars(select(Region.admdvs).where(Region.admdvs.in_(codes))))

    # units ----------------------------------------------------------------------------------
    def unit_by_uscc(self, uscc: str) -> Unit | None:
        return self.session.scalar(select(Unit).where(Unit.uscc == uscc))

    def unit_by_id(self, unit_id: int) -> Unit | None:
        return self.session.get(Unit, unit_id)

    def units_by_usccs(self, codes: set[str]) -> dict[str, Unit]:
        if not codes:
            return {}
        return {u.uscc: u for u in self.session.scalars(select(Unit).where(Unit.uscc.in_(codes)))}

    def units_by_ids(self, ids: set[int]) -> dict[int, Unit]:
        if not ids:
            return {}
        return {u.id: u for u in self.session.scalars(select(Unit).where(Unit.id.in_(ids)))}

    def search_units(
        self, *, regions: frozenset[str] | None, q: str | None, admdvs: str | None, page: int, size: int
    ) -> Page[Unit]:
        stmt = select(Unit).order_by(Unit.admdvs, Unit.uscc)
        if regions is not None:
            stmt = stmt.where(Unit.admdvs.in_(regions))
        if admdvs:
            stmt = stmt.where(Unit.admdvs == admdvs)
        if q:
            stmt = stmt.where(or_(Unit.uscc.contains(q.upper()), Unit.name.contains(q)))
        return paginate(self.session, stmt, page=page, size=size)

    def unit_member_count(self, unit_id: int) -> int:
        return int(self.session.scalar(select(func.count()).where(Person.unit_id == unit_id)) or 0)

    # persons --------------------------------------------------------------------------------
    def person_by_psn_no(self, psn_no: str) -> Person | None:
        return self.session.scalar(select(Person).where(Person.psn_no == psn_no))

    def person_by_certno(self, certno: str) -> Person | None:
        return self.session.scalar(select(Person).where(Person.certno == certno))

    def person_keys(self, psn_nos: set[str]) -> dict[str, tuple[int, str]]:
        """(id, admdvs) of each of these persons (one query, no ORM objects)."""
        if not psn_nos:
            return {}
        rows = self.session.execute(
            select(Person.psn_no, Person.id, Person.admdvs).where(Person.psn_no.in_(psn_nos))
        )
        return {psn_no: (int(person_id), admdvs) for psn_no, person_id, admdvs in rows}

    def persons_by_certnos(self, certnos: set[str]) -> dict[str, Person]:
        if not certnos:
            return {}
        rows = self.session.scalars(select(Person).where(Person.certno.in_(certnos)))
        return {p.certno: p for p in rows}

    def search_persons(
        self,
        *,
        regions: frozenset[str] | None,
        q: str | None,
        certno: str | None,
        admdvs: str | None,
        page: int,
        size: int,
    ) -> Page[Person]:
        stmt = select(Person).order_by(Person.psn_no)
        if regions is not None:
            stmt = stmt.where(Person.admdvs.in_(regions))
        if admdvs:
            stmt = stmt.where(Person.admdvs == admdvs)
        if certno:
            stmt = stmt.where(Person.certno == certno.strip().upper())
        if q:
            stmt = stmt.where(or_(Person.psn_no.contains(q), Person.name.contains(q)))
        return paginate(self.session, stmt, page=page, size=size)

    def next_psn_seq(self, admdvs: str) -> int:
        """Take the next person-number sequence of a region (one conditional UPDATE, or the first row)."""
        seq = self.session.scalar(
            update(PersonSequence)
            .where(PersonSequence.admdvs == admdvs)
            .values(last=PersonSequence.last + 1)
            .returning(PersonSequence.last)
            .execution_options(synchronize_session=False)
        )
        if seq is not None:
            return int(seq)
        try:
            with self.session.begin_nested():  # the first person of a region: another writer may race us
                self.session.add(PersonSequence(admdvs=admdvs, last=1))
            return 1
        except IntegrityError:
            return self.next_psn_seq(admdvs)

    def take_psn_seqs(self, admdvs: str, count: int) -> int:
        """Take `count` consecutive person-number sequences of a region at once; the first of them."""
        last = self.session.scalar(
            update(PersonSequence)
            .where(PersonSequence.admdvs == admdvs)
            .values(last=PersonSequence.last + count)
            .returning(PersonSequence.last)
            .execution_options(synchronize_session=False)
        )
        if last is not None:
            return int(last) - count + 1
        try:
            with self.session.begin_nested():  # the first persons of a region: another writer may race us
                self.session.add(PersonSequence(admdvs=admdvs, last=count))
            return 1
        except IntegrityError:
            return self.take_psn_seqs(admdvs, count)

    def lock_person(self, person_id: int) -> None:
        """Hold the person's row until commit so two enrolments of one person run one after the other
        (PostgreSQL row lock; SQLite already serialises writers)."""
        self.session.execute(select(Person.id).where(Person.id == person_id).with_for_update())

    # relations ------------------------------------------------------------------------------
    def relations_of(self, person_id: int) -> list[Relation]:
        stmt = select(Relation).where(Relation.person_id == person_id).order_by(Relation.begin, Relation.id)
        return list(self.session.scalars(stmt))

    def relation_by_id(self, relation_id: int) -> Relation | None:
        return self.session.get(Relation, relation_id)

    def relation_rows(self, ids: set[int]) -> dict[int, RelationRow]:
        """These relations as plain rows (one query)."""
        if not ids:
            return {}
        columns = [getattr(Relation, name) for name in _RELATION_COLUMNS]
        rows = self.session.execute(select(*columns).where(Relation.id.in_(ids)))
        return {int(r[0]): RelationRow(*r) for r in rows}

    def relation_rows_of(self, psn_nos: set[str]) -> dict[str, list[RelationRow]]:
        """Every relation of these persons as plain rows, by person number (one query)."""
        if not psn_nos:
            return {}
        columns = [getattr(Relation, name) for name in _RELATION_COLUMNS]
        found: dict[str, list[RelationRow]] = {}
        for r in self.session.execute(select(*columns).where(Relation.psn_no.in_(psn_nos))):
            row = RelationRow(*r)
            found.setdefault(row.psn_no, []).append(row)
        return found

    def set_waiting_ends(self, waiting_ends: dict[int, date | None]) -> None:
        """Set many relations' waiting-period ends in one executemany; loaded relations follow."""
        if not waiting_ends:
            return
        table = Relation.__table__
        assert isinstance(table, Table)
        self.session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("relation_id"))
            .values(waiting_end=bindparam("new_end")),
            [{"relation_id": k, "new_end": v} for k, v in waiting_ends.items()],
        )
        for relation_id, end in waiting_ends.items():
            loaded = self.session.identity_map.get(identity_key(Relation, relation_id))
            if loaded is not None:
                set_committed_value(loaded, "waiting_end", end)

    # contributions --------------------------------------------------------------------------
    def contribution(self, relation_id: int, period: str) -> Contribution | None:
        return self.session.scalar(
            select(Contribution).where(Contribution.relation_id == relation_id, Contribution.period == period)
        )

    def contribution_periods(self, relation_ids: set[int]) -> set[tuple[int, str]]:
        """(relation_id, period) of every contribution already registered on these relations."""
        if not relation_ids:
            return set()
        rows = self.session.execute(
            select(Contribution.relation_id, Contribution.period).where(
                Contribution.relation_id.in_(relation_ids)
            )
        )
        return {(int(r), str(p)) for r, p in rows}

    def contribution_by_id(self, contribution_id: int) -> Contribution | None:
        return self.session.get(Contribution, contribution_id)

    def contributions_of(self, psn_no: str) -> list[Contribution]:
        stmt = (
            select(Contribution)
            .where(Contribution.psn_no == psn_no)
            .order_by(Contribution.period, Contribution.id)
        )
        return list(self.session.scalars(stmt))

    def arrears(
        self, *, regions: frozenset[str] | None, admdvs: str | None, today: date, page: int, size: int
    ) -> Page[Contribution]:
        stmt = (
            select(Contribution)
            .where(Contribution.paid_on.is_(None), Contribution.due_date < today)
            .order_by(Contribution.admdvs, Contribution.psn_no, Contribution.period)
        )
        if regions is not None:
            stmt = stmt.where(Contribution.admdvs.in_(regions))
        if admdvs:
            stmt = stmt.where(Contribution.admdvs == admdvs)
        return paginate(self.session, stmt, page=page, size=size)

    # accounts -------------------------------------------------------------------------------
    def account_of(self, psn_no: str) -> Account | None:
        return self.session.scalar(select(Account).where(Account.psn_no == psn_no))

    def accounts_of(self, psn_nos: set[str]) -> dict[str, Account]:
        """The accounts of these persons, locked until commit (PostgreSQL) so balances read stay exact."""
        if not psn_nos:
            return {}
        rows = self.session.scalars(select(Account).where(Account.psn_no.in_(psn_nos)).with_for_update())
        return {a.psn_no: a for a in rows}

    def credit_many(self, credits: dict[int, int], accounts: Iterable[Account]) -> None:
        """Add to many balances (account id → amount) in one executemany UPDATE; loaded accounts follow."""
        if not credits:
            return
        table = Account.__table__
        assert isinstance(table, Table)
        self.session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("account_id"))
            .values(balance=table.c.balance + bindparam("amount")),
            [{"account_id": k, "amount": v} for k, v in credits.items()],
        )
        for account in accounts:
            if account.id in credits:
                set_committed_value(account, "balance", account.balance + credits[account.id])

    def credit(self, account: Account, amount: int) -> int:
        """Add to a balance in one statement; the new balance."""
        new_balance = int(
            self.session.execute(
                update(Account)
                .where(Account.id == account.id)
                .values(balance=Account.balance + amount)
                .returning(Account.balance)
                .execution_options(synchronize_session=False)
            ).scalar_one()
        )
        set_committed_value(account, "balance", new_balance)
        return new_balance

    def debit(self, account: Account, amount: int) -> int | None:
        """Take `amount` from a balance only if it covers it, in one conditional UPDATE.

        The database evaluates `balance >= amount` on the row it updates (PostgreSQL re-checks it
        after waiting for a concurrent writer's lock; SQLite serialises writers with BEGIN
        IMMEDIATE), so concurrent debits can never drive the balance below zero. None when refused.
        """
        new_balance = self.session.execute(
            update(Account)
            .where(Account.id == account.id, Account.balance >= amount)
            .values(balance=Account.balance - amount)
            .returning(Account.balance)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if new_balance is None:
            return None
        set_committed_value(account, "balance", int(new_balance))
        return int(new_balance)

    def current_balance(self, account: Account) -> int:
        """The balance as stored now (not the value loaded earlier in this session)."""
        balance = int(self.session.scalar(select(Account.balance).where(Account.id == account.id)) or 0)
        set_committed_value(account, "balance", balance)
        return balance

    def entries(self, account_id: int, *, page: int, size: int) -> Page[AccountEntry]:
        stmt = (
            select(AccountEntry).where(AccountEntry.account_id == account_id).order_by(AccountEntry.id.desc())
        )
        return paginate(self.session, stmt, page=page, size=size)

    def entry_by_id(self, entry_id: int) -> AccountEntry | None:
        return self.session.get(AccountEntry, entry_id)

    def debit_by_reference(self, account_id: int, reference: str) -> AccountEntry | None:
        return self.session.scalar(
            select(AccountEntry)
            .where(
                AccountEntry.account_id == account_id,
                AccountEntry.reference == reference,
                AccountEntry.entry_type == "debit_settlement",
            )
            .order_by(AccountEntry.id)
            .limit(1)
        )

    def reversal_of(self, entry_id: int) -> AccountEntry | None:
        return self.session.scalar(select(AccountEntry).where(AccountEntry.reverses_id == entry_id))

    def ledger_sum(self, account_id: int) -> int:
        total = self.session.scalar(
            select(func.coalesce(func.sum(AccountEntry.amount), 0)).where(
                AccountEntry.account_id == account_id
            )
        )
        return int(total or 0)

    # transfers ------------------------------------------------------------------------------
    def transfers_of(self, psn_no: str) -> list[Transfer]:
        stmt = select(Transfer).where(Transfer.psn_no == psn_no).order_by(Transfer.transfer_date, Transfer.id)
        return list(self.session.scalars(stmt))

    def add(self, row: object) -> None:
        self.session.add(row)

    # bulk writes (one executemany per table) -------------------------------------------------
    def insert_many(self, model: type[Any], rows: Sequence[dict[str, Any]]) -> None:
        """Insert rows with Core in one executemany."""
        if rows:
            self.session.connection().execute(insert(model.__table__), list(rows))

    def insert_many_ids(
        self, model: type[Any], rows: Sequence[dict[str, Any]], key: Sequence[str]
    ) -> list[int]:
        """Insert rows in batched multi-row statements; their new ids in input order.

        The ids come back with the natural `key` columns of each row (unique within `rows`) and are matched
        on them, since a multi-row INSERT … RETURNING does not promise the order of its rows.
        """
        if not rows:
            return []
        table = model.__table__
        columns = [table.c[k] for k in key]
        result = self.session.connection().execute(insert(table).returning(table.c.id, *columns), list(rows))
        ids = {tuple(row[1:]): int(row[0]) for row in result}
        return [ids[tuple(r[k] for k in key)] for r in rows]

    def insert_audit(self, rows: Sequence[dict[str, Any]]) -> None:
        """Append audit rows (already in the audit table's shape) in one executemany."""
        from yibao.audit.models import AuditEntry  # the audit table is part of every transaction

        self.insert_many(AuditEntry, rows)
