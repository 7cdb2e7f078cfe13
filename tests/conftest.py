"""Test fixtures: each test gets a clean database on SQLite (default) or PostgreSQL (--db=postgres).

The schema is built once per run by the real Alembic migrations with the national dictionaries
loaded; every test then starts from that state (SQLite: a fresh copy of the file; PostgreSQL: a
private schema whose business tables are emptied after each test).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.factories import login, make_actor
from yibao.bootstrap import Container, bootstrap
from yibao.core.db import make_engine
from yibao.core.security import Actor, Role
from yibao.reference import lookup
from yibao.reference import service as reference
from yibao.schema import upgrade
from yibao.settings import Settings
from yibao.web.app import create_app

pytest_plugins = ["tests.browser"]  # one Playwright session for the whole run

PG_URL = os.environ.get("YIBAO_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
KEEP_TABLES = {"alembic_version", "ref_dataset", "ref_dict_entry", "ref_icd_code", "ref_icd_crosswalk"}
REFERENCE_BEGIN = date(2024, 1, 1)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        default=os.environ.get("YIBAO_TEST_DB", "sqlite"),
        choices=["sqlite", "postgres"],
        help="database backend for the suite",
    )


def _database_free(item: pytest.Item) -> bool:
    """Marked `database_free`, or asking for no database fixture at all (pure domain rules, parsers,
    `--help` texts, runs on their own embedded files): the same code runs whatever `--db` says."""
    if item.get_closest_marker("database_free") is not None:
        return True
    return "_template" not in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that never touch the suite's database run in the SQLite pass only, so the PostgreSQL pass
    does not repeat them (they are deselected there, not skipped)."""
    if config.getoption("--db") != "postgres":
        return
    kept = [item for item in items if not _database_free(item)]
    dropped = [item for item in items if _database_free(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _settings(url: str) -> Settings:
    return Settings(env="test", database_url=url, secret_key="test-secret-key-0123456789abcdef-xyz")


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--db"))


@pytest.fixture(scope="session")
def _template(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database with the dictionaries loaded: a SQLite file path or a PostgreSQL URL."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / "template.db"
        url = f"sqlite:///{path}"
        engine = make_engine(url)
    else:
        schema = f"yibao_t{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = make_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        admin.dispose()
        url = f"{PG_URL}?options=-csearch_path%3D{schema}%20-csynchronous_commit%3Doff"
        engine = make_engine(url)
    upgrade(engine)
    container = bootstrap(_settings(url), engine=engine)
    reference.load_all(
        new_uow=container.uow, reference_dir=container.settings.reference_dir, begin=REFERENCE_BEGIN
    )
    engine.dispose()
    yield str(path) if backend == "sqlite" else url
    if backend == "postgres":
        admin = make_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def _reset_statement(url: str) -> str:
    """One round trip that empties every business table of the test schema and restarts the id
    sequences that moved: the schema afterwards holds exactly what the template held.

    DELETE rather than TRUNCATE: a TRUNCATE of the ~80 tables makes new files for every table and
    index and costs 0.4-1.5 s per test on the 2-core machine, DELETE of the few rows a test wrote costs
    a few milliseconds. Foreign keys are not checked while emptying (`session_replication_role =
    replica`, local to this transaction) since every referencing table is emptied too."""
    engine = make_engine(url)
    with engine.connect() as conn:
        tables = [
            row[0]
            for row in conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1")
            )
            if row[0] not in KEEP_TABLES
        ]
        sequences = [
            row[0]
            for row in conn.execute(
                text(
                    "SELECT s.relname FROM pg_class s"
                    " JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass"
                    " AND d.refclassid = 'pg_class'::regclass"
                    " JOIN pg_class t ON t.oid = d.refobjid"
                    " WHERE s.relkind = 'S' AND s.relnamespace = current_schema()::regnamespace"
                    " AND t.relname = ANY(:tables) ORDER BY 1"
                ),
                {"tables": tables},
            )
        ]
    engine.dispose()

    def array(names: list[str]) -> str:
        return "ARRAY[" + ", ".join(f"'{name}'" for name in names) + "]::text[]"

    return f"""DO $$
DECLARE name text;
BEGIN
  SET LOCAL session_replication_role = replica;
  FOREACH name IN ARRAY {array(tables)} LOOP
    EXECUTE format('DELETE FROM %I', name);
  END LOOP;
  FOREACH name IN ARRAY {array(sequences)} LOOP
    IF pg_sequence_last_value(name::regclass) IS NOT NULL THEN
      EXECUTE format('ALTER SEQUENCE %I RESTART', name);
    END IF;
  END LOOP;
END $$"""


@pytest.fixture(scope="session")
def _reset(backend: str, _template: str) -> str:
    """The PostgreSQL statement run after each test (empty on SQLite, where each test copies a file)."""
    return _reset_statement(_template) if backend == "postgres" else ""


@pytest.fixture
def container(backend: str, _template: str, _reset: str, tmp_path: Path) -> Iterator[Container]:
    """A container on a clean database holding only the schema and the reference data."""
    if backend == "sqlite":
        target = tmp_path / "test.db"
        shutil.copyfile(_template, target)
        url = f"sqlite:///{target}"
    else:
        url = _template
    engine = make_engine(url)
    lookup.invalidate()
    yield bootstrap(_settings(url), engine=engine)
    if backend == "postgres":
        with engine.begin() as conn:
            conn.execute(text(_reset))
    engine.dispose()


@pytest.fixture
def admin(container: Container) -> Actor:
    return make_actor(Role.ADMIN, all_regions=True, username="admin")


@pytest.fixture
def cli_env(container: Container, monkeypatch: pytest.MonkeyPatch) -> Iterator[Container]:
    """Point the CLI's own bootstrap (settings from the environment) at the test database."""
    from yibao.settings import get_settings

    monkeypatch.setenv("YIBAO_DATABASE_URL", container.settings.database_url)
    monkeypatch.setenv("YIBAO_SECRET_KEY", container.settings.secret_key)
    get_settings.cache_clear()
    yield container
    get_settings.cache_clear()


@pytest.fixture
def app_client(container: Container) -> Iterator[TestClient]:
    """An HTTP client on the full application (no one signed in)."""
    with TestClient(create_app(container)) as client:
        yield client


@pytest.fixture
def admin_headers(container: Container, app_client: TestClient) -> dict[str, str]:
    """Bearer headers of a deployment administrator (created on the spot)."""
    from yibao.staff import service as staff

    with container.uow() as uow:
        staff.ensure_admin(uow=uow, username="admin", password="admin-pass-123")
    return login(app_client, "admin", "admin-pass-123")
