"""The database schema: every model registered, and Alembic upgrades run from code."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def import_all_models() -> None:
    """Import every business area's models so Base.metadata knows all tables."""
    import importlib
    import pkgutil

    import yibao

    for info in pkgutil.iter_modules(yibao.__path__):
        if info.ispkg:
            try:
                importlib.import_module(f"yibao.{info.name}.models")
            except ModuleNotFoundError as exc:
                if exc.name != f"yibao.{info.name}.models":
                    raise


def alembic_config(engine: Engine) -> Config:
    """An Alembic config bound to `engine` (the package ships its migrations)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the database schema up to `revision` (all heads by default)."""
    command.upgrade(alembic_config(engine), revision)
