"""Hot-path statements run on the driver's prepared statements (PostgreSQL), SQLAlchemy elsewhere.

A statement of the settlement hot path is written once, as a SQLAlchemy expression with bound
parameters. On PostgreSQL it is compiled once per process and then sent straight to psycopg as a
server-side prepared statement: no per-call compilation lookup, no result-proxy machinery, rows as
plain named tuples. The column types still apply (UTC timestamps come back in UTC), the engine's
``before_cursor_execute`` listeners still see every statement (the statement counts of the tests and
benchmarks), and the statement runs on the unit of work's own connection, so inside its transaction.
On other databases the expression goes through SQLAlchemy as usual.
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from psycopg import RawCursor
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from sqlalchemy.sql.compiler import SQLCompiler


@dataclass
class _Compiled:
    sql: str
    raw: bytes  # the statement with positional ``$n`` placeholders, as the server takes it
    order: tuple[str, ...]  # the parameter name of each ``$n``
    defaults: dict[str, Any]  # the values bound in the expression itself (literals)
    binds: tuple[tuple[str, Callable[[Any], Any]], ...]  # parameters whose type converts the value
    results: tuple[tuple[int, Callable[[Any], Any]], ...]  # result columns whose type converts
    row: Any = None  # the named tuple class of a result row, made from the first result's columns


_IDLE = 0  # libpq's PQTRANS_IDLE: no transaction open on the connection
_TUPLES_OK = 2  # libpq's PGRES_TUPLES_OK: the statement answered rows (read without the costlier
# `cursor.description`, which builds the column objects anew on every call)
_COMPILED: dict[tuple[int, str], tuple[ClauseElement, _Compiled]] = {}


def _compiled(conn: Connection, stmt: ClauseElement) -> _Compiled:
    key = (id(stmt), conn.dialect.name)
    found = _COMPILED.get(key)
    if found is not None and found[0] is stmt:
        return found[1]
    dialect = conn.dialect
    compiled = cast("SQLCompiler", stmt.compile(dialect=dialect))
    # psycopg itself gives and takes the Python values of the standard types; only the project's
    # own column types (TypeDecorator, e.g. UTC timestamps) convert.
    binds = [
        (name, partial(bind.type.process_bind_param, dialect=dialect))
        for name, bind in compiled.binds.items()
        if isinstance(bind.type, TypeDecorator)
    ]
    results = []
    columns = getattr(stmt, "selected_columns", None) or getattr(stmt, "returned_columns", None) or ()
    for index, col in enumerate(columns):
        if isinstance(col.type, TypeDecorator):
            results.append((index, partial(col.type.process_result_value, dialect=dialect)))
    raw, order = _positional(compiled.string)
    entry = _Compiled(
        sql=compiled.string,
        raw=raw,
        order=order,
        defaults={k: v for k, v in compiled.params.items() if v is not None},
        binds=tuple(binds),
        results=tuple(results),
    )
    _COMPILED[key] = (stmt, entry)  # the statement is kept alive, so its id is never reused
    return entry


_PLACEHOLDER = re.compile(r"%%|%\(([^)]+)\)s")


def _positional(sql: str) -> tuple[bytes, tuple[str, ...]]:
    """The statement with its named placeholders as ``$n`` (one per distinct name), and the names.

    psycopg then takes it as is (a raw query): no placeholder parsing on every call, which for the
    long write statement it would otherwise redo each time (it caches only short statements).
    """
    order: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "%"
        if name not in order:
            order.append(name)
        return f"${order.index(name) + 1}"

    return _PLACEHOLDER.sub(number, sql).encode(), tuple(order)


def fetch_all(conn: Connection, stmt: ClauseElement, params: Mapping[str, Any]) -> Sequence[Any]:
    """The rows of `stmt` with `params`, each with its columns as attributes."""
    return fetch_each(conn, [(stmt, params)])[0]


def fetch_each(
    conn: Connection, statements: Sequence[tuple[ClauseElement, Mapping[str, Any]]], *, commit: bool = False
) -> list[Sequence[Any]]:
    """The rows of each statement, run one after the other in this order.

    On PostgreSQL several statements go out together in one pipeline: one network round trip for
    all (and for the BEGIN of a transaction not open yet), each still run after the one before has
    finished (so a read after a lock sees what the lock waited for). The first failure raises, and
    the statements after it do not run. With `commit` the transaction's COMMIT travels in the same
    round trip, after the statements (on PostgreSQL; elsewhere the caller commits as usual). The
    caller must still commit through SQLAlchemy, which then finds nothing left to send.
    """
    if conn.dialect.name != "postgresql":
        answers: list[Sequence[Any]] = []
        for stmt, params in statements:
            result = conn.execute(stmt, params)  # type: ignore[call-overload]
            answers.append(result.all() if result.returns_rows else [])
        return answers
    if not conn.in_transaction():
        conn.begin()  # as SQLAlchemy's own execution does, so that commit and rollback reach the driver
    driver = conn.connection.driver_connection
    driver_error = conn.dialect.loaded_dbapi.Error
    listeners = conn.dispatch.before_cursor_execute
    sent: list[tuple[Any, _Compiled, dict[str, Any]]] = []
    try:
        # A pipeline also when the transaction is not open yet: its BEGIN then shares the round trip.
        opening = not driver.autocommit and driver.info.transaction_status == _IDLE  # type: ignore[union-attr]
        with driver.pipeline() if len(statements) > 1 or opening or commit else nullcontext():  # type: ignore[union-attr]
            for stmt, params in statements:
                compiled = _compiled(conn, stmt)
                values = compiled.defaults | dict(params) if compiled.defaults else dict(params)
                for name, process in compiled.binds:
                    if name in values:
                        values[name] = process(values[name])
                cursor = RawCursor(driver)  # type: ignore[arg-type]
                sent.append((cursor, compiled, values))
                if listeners:
                    for listener in listeners:
                        listener(conn, cursor, compiled.sql, values, None, False)
                cursor.execute(compiled.raw, [values[name] for name in compiled.order], prepare=True)
            if commit:
                driver.commit()  # type: ignore[union-attr]  # COMMIT and the pipeline's sync: every answer, then the commit's
        return [_rows(cursor, compiled) for cursor, compiled, _values in sent]
    except driver_error as err:  # as SQLAlchemy would raise it (IntegrityError, OperationalError…)
        failed = sent[-1] if sent else None
        sql, values = (failed[1].sql, failed[2]) if failed else ("", {})
        raise DBAPIError.instance(sql, values, err, driver_error) from err
    finally:
        for cursor, _compiled_sql, _values in sent:
            cursor.close()


def _rows(cursor: Any, compiled: _Compiled) -> Sequence[Any]:
    """A cursor's answer as named tuples, the project's column types applied."""
    result = cursor.pgresult
    rows = cursor.fetchall() if result is not None and result.status == _TUPLES_OK else []
    if not rows:
        return []
    if compiled.row is None:
        names = [c.name for c in cursor.description or ()]
        compiled.row = namedtuple("Row", names, rename=True)  # type: ignore[misc]
    make = compiled.row._make
    if not compiled.results:
        return [make(row) for row in rows]
    converted = []
    for row in rows:
        cells = list(row)
        for index, process in compiled.results:
            cells[index] = process(cells[index])
        converted.append(make(cells))
    return converted
