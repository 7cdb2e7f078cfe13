"""The single wiring point: settings → engine → session factory → units of work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from yibao.core.db import make_engine, make_session_factory
from yibao.core.security import SYSTEM, Actor
from yibao.core.uow import UnitOfWork
from yibao.settings import Settings, get_settings


@dataclass
class Container:
    """Everything an entry point needs to run a use case."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Any]

    def uow(self, actor: Actor = SYSTEM) -> UnitOfWork:
        """A new unit of work acting for `actor`."""
        return UnitOfWork(self.session_factory, actor)


def bootstrap(settings: Settings | None = None, *, engine: Engine | None = None) -> Container:
    """Wire a container from settings (or a given engine, as tests do)."""
    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url)
    return Container(settings=settings, engine=engine, session_factory=make_session_factory(engine))
