"""Hot-path statements on the driver's prepared statements: same rows, types, errors and listeners as
through SQLAlchemy, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import bindparam, event, insert, literal, select
from sqlalchemy.exc import IntegrityError

from yibao.audit.models import AuditEntry
from yibao.bootstrap import Container
from yibao.core.prepared import fetch_all

_T = AuditEntry.__table__
_BY_ACTION = (
    select(_T.c.id, _T.c.at, _T.c.action, literal("fixed").label("marker"))
    .where(_T.c.action == bindparam("action"))
    .order_by(_T.c.id)
)
_ADD = insert(_T).values(
    at=bindparam("at", type_=_T.c.at.type),
    action=bindparam("action"),
    entity="test",
    entity_id=bindparam("entity_id"),
    username="tester",
)
_ADD_WITH_ID = insert(_T).values(
    id=bindparam("row_id"),
    at=bindparam("at", type_=_T.c.at.type),
    action="x",
    entity="t",
    entity_id="1",
    username="tester",
)


def test_rows_come_back_with_named_columns_and_timestamps_in_utc(container: Container) -> None:
    beijing = timezone(timedelta(hours=8))
    with container.engine.begin() as conn:
        fetch_all(
            conn, _ADD, {"at": datetime(2024, 3, 1, 8, 30, tzinfo=beijing), "action": "a", "entity_id": "1"}
        )
        rows = fetch_all(conn, _BY_ACTION, {"action": "a"})
    assert len(rows) == 1
    row = rows[0]
    assert row.action == "a" and row.marker == "fixed"  # a literal bound in the expression itself
    assert row.at == datetime(2024, 3, 1, 0, 30, tzinfo=UTC) and row.at.tzinfo == UTC


def test_a_naive_timestamp_is_refused_as_the_column_type_says(container: Container) -> None:
    with container.engine.begin() as conn, pytest.raises(Exception, match="naive datetime"):
        fetch_all(conn, _ADD, {"at": datetime(2024, 3, 1, 8, 30), "action": "a", "entity_id": "1"})


def test_a_broken_constraint_raises_sqlalchemys_integrity_error(container: Container) -> None:
    at = datetime(2024, 3, 1, tzinfo=UTC)
    with container.engine.connect() as conn:
        fetch_all(conn, _ADD_WITH_ID, {"row_id": 990_001, "at": at})
        with pytest.raises(IntegrityError):
            fetch_all(conn, _ADD_WITH_ID, {"row_id": 990_001, "at": at})
        conn.rollback()


def test_statement_listeners_see_every_statement_inside_the_transaction(container: Container) -> None:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(container.engine, "before_cursor_execute", record)
    try:
        with container.engine.connect() as conn:
            fetch_all(conn, _ADD, {"at": datetime(2024, 3, 1, tzinfo=UTC), "action": "b", "entity_id": "2"})
            assert len(fetch_all(conn, _BY_ACTION, {"action": "b"})) == 1
            conn.rollback()  # the insert was part of the connection's transaction
            assert fetch_all(conn, _BY_ACTION, {"action": "b"}) == []
    finally:
        event.remove(container.engine, "before_cursor_execute", record)
    inserts = [s for s in seen if s.lstrip().upper().startswith("INSERT")]
    selects = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    assert len(inserts) == 1 and len(selects) == 2


AWKWARD = ['引号"与反斜杠\\', "{花括号,逗号}", None, "", "NULL", "  空格  ", "换行\n"]


def test_arrays_of_awkward_text_and_numbers_arrive_intact(container: Container) -> None:
    """The settlement's write sends its lines and audit rows as arrays (binary on PostgreSQL): quotes,
    braces, commas, backslashes, empty strings, the word NULL and real NULLs all arrive as sent."""
    if container.engine.dialect.name != "postgresql":
        assert container.engine.dialect.name == "sqlite"  # SQLite has no arrays: one statement per row
        return
    from sqlalchemy import BigInteger, String, column, func
    from sqlalchemy.dialects.postgresql import ARRAY

    rows = (
        func.unnest(
            bindparam("texts", type_=ARRAY(String())), bindparam("numbers", type_=ARRAY(BigInteger()))
        )
        .table_valued(column("text", String()), column("number", BigInteger()))
        .render_derived(name="r")
    )
    stmt = select(rows.c.text, rows.c.number)
    numbers = [1, -2, None, 2**40, 0, 7, 8]
    with container.engine.connect() as conn:
        got = fetch_all(conn, stmt, {"texts": AWKWARD, "numbers": numbers})
    assert [(r.text, r.number) for r in got] == list(zip(AWKWARD, numbers, strict=True))
