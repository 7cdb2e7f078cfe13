"""Tables the hot path reads from memory: built from the database once per engine and rebuilt when
they change.

A change made in this process calls `invalidate()`, and the next read rebuilds. A change made by
another process (the CLI next to a running server) is seen within `recheck_seconds`: at most that
often one cheap statement (the `generation` function, e.g. the newest row id) tells whether the
stored rows changed. Between checks a read costs no query at all.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

V = TypeVar("V")


def engine_of(session: Session) -> Engine:
    """The engine a session's reads go to (the cache key: one table per database)."""
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


@dataclass
class _Entry(Generic[V]):
    value: V
    generation: Hashable  # what `generation` answered when the value was built or last confirmed
    local: int  # the in-process `invalidate()` count it was built at
    checked: float  # monotonic time of the last comparison with the stored rows


class EngineCache(Generic[V]):
    """One value per database engine, built by `build` and kept while `generation` stays the same."""

    def __init__(
        self,
        *,
        generation: Callable[[Session], Hashable],
        build: Callable[[Session], V],
        recheck_seconds: float = 1.0,
    ) -> None:
        self.generation = generation
        self.build = build
        self.recheck_seconds = recheck_seconds  # how stale a change by another process may be seen
        self._entries: weakref.WeakKeyDictionary[Engine, _Entry[V]] = weakref.WeakKeyDictionary()
        self._local = 0
        self._lock = threading.Lock()

    def get(self, session: Session) -> V:
        """The value for the session's database: from memory, or rebuilt if the stored rows changed."""
        engine = engine_of(session)
        local, now = self._local, time.monotonic()
        entry = self._entries.get(engine)
        if entry is not None and entry.local == local and now - entry.checked < self.recheck_seconds:
            return entry.value
        generation = self.generation(session)
        if entry is not None and entry.local == local and entry.generation == generation:
            entry.checked = now
            return entry.value
        with self._lock:
            value = self.build(session)
            self._entries[engine] = _Entry(value, generation, local, now)
            return value

    def invalidate(self) -> None:
        """Forget every value: the next read rebuilds (after a change committed in this process)."""
        with self._lock:
            self._local += 1
            self._entries.clear()
