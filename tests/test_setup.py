"""First-run preparation: idempotent, creates the first administrator once, warms the hot-path lookups."""

from __future__ import annotations

import gc

from sqlalchemy import func, select

from yibao.bootstrap import Container
from yibao.setup import prepare
from yibao.staff.models import User


def test_prepare_twice_creates_one_admin_and_freezes_the_warm_caches(container: Container) -> None:
    try:
        prepare(container)
        prepare(container)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    with container.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(User)) == 1
