"""Engine, declarative base and column types shared by every business area."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from yibao.core.clock import LOCAL_TZ

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Integer primary keys: BIGINT on PostgreSQL, INTEGER (rowid alias) on SQLite.
IdType = BigInteger().with_variant(Integer(), "sqlite")
# Money in fen: always BIGINT.
Money = BigInteger


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention (needed by Alembic batch mode)."""

    metadata = MetaData(naming_convention=NAMING)


class IdMixin:
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)


def utcnow() -> datetime:
    """The current time in UTC (entry points and services read the clock, the domain never)."""
    return datetime.now(UTC)


def make_engine(url: str, *, echo: bool = False, pre_ping: bool = False) -> Engine:
    """An engine for SQLite (file under ./var by default) or PostgreSQL.

    No ping at checkout by default: it costs a round trip per unit of work (two per settled bill).
    After a database restart the first statement on each stale pooled connection fails once and the
    pool drops the stale connections (SQLAlchemy's disconnect handling); `pre_ping=True` trades that
    for the round trip.
    """
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs["pool_size"] = 10
        kwargs["max_overflow"] = 20
        kwargs["pool_pre_ping"] = pre_ping
    engine = create_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
    elif parsed.get_driver_name() == "psycopg":
        event.listen(engine, "connect", _binary_arrays)
    return engine


def _binary_arrays(dbapi_connection: Any, _record: Any) -> None:
    # Lists go to PostgreSQL as binary arrays: the text form quotes every element with a regular
    # expression, which for the settlement's write (its lines, funds and audit rows as arrays) was
    # the largest single cost of sending it.
    from psycopg.types.array import ListBinaryDumper

    dbapi_connection.adapters.register_dumper(list, ListBinaryDumper)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, decide when transactions begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    # One writer at a time: take the write lock at BEGIN so read-then-write never deadlocks.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Any]:
    """Sessions that never expire loaded objects on commit (services return them afterwards)."""
    return sessionmaker(bind=engine, expire_on_commit=False, future=True)


def is_postgres(engine: Engine) -> bool:
    """Whether the engine talks to PostgreSQL."""
    return engine.dialect.name == "postgresql"


class local_year(FunctionElement[int]):  # noqa: N801 (a SQL function, named as one)
    """The calendar year of a UTC timestamp column in the region's time (Beijing), in SQL: the rule
    of `yibao.core.clock.local_day`, for statements that key a row by a visit's year."""

    type = Integer()
    inherit_cache = True


@compiles(local_year, "postgresql")
def _local_year_postgresql(element: local_year, compiler: Any, **kw: Any) -> str:
    moment = compiler.process(next(iter(element.clauses)), **kw)
    return f"CAST(EXTRACT(YEAR FROM timezone('{LOCAL_TZ.key}', {moment})) AS INTEGER)"


@compiles(local_year)
def _local_year_default(element: local_year, compiler: Any, **kw: Any) -> str:
    # SQLite keeps UTC timestamps as text; Beijing time has had no daylight saving since 1991.
    moment = compiler.process(next(iter(element.clauses)), **kw)
    hours = _LOCAL_OFFSET_HOURS
    return f"CAST(strftime('%Y', {moment}, '{hours:+d} hours') AS INTEGER)"


_LOCAL_OFFSET_HOURS = 8
