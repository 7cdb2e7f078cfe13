"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from yibao.bootstrap import Container
from yibao.core.db import Base
from yibao.schema import import_all_models


def test_migrations_match_the_models(container: Container) -> None:
    import_all_models()
    with container.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_the_migrations_have_one_head() -> None:
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    from yibao.schema import alembic_config

    heads = ScriptDirectory.from_config(alembic_config(create_engine("sqlite://"))).get_heads()
    assert len(heads) == 1, f"several migration heads {heads}: add a merge revision"


def test_the_tables_a_settlement_updates_leave_room_on_each_page(container: Container) -> None:
    """On PostgreSQL fillfactor 80 keeps a settlement's in-place updates on the page (HOT); SQLite has
    no such setting."""
    from sqlalchemy import text

    with container.engine.connect() as conn:
        if conn.dialect.name != "postgresql":
            assert conn.dialect.name == "sqlite"
            return
        options = dict(
            conn.execute(
                text(
                    "SELECT relname, reloptions FROM pg_class"
                    " WHERE relnamespace = current_schema()::regnamespace"
                    " AND relname IN ('setl_fee_line', 'setl_visit')"
                )
            ).all()
        )
    assert options == {"setl_fee_line": ["fillfactor=80"], "setl_visit": ["fillfactor=80"]}
