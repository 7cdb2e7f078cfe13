"""The audit trail: written with every change, append-only, readable by region."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.factories import add_region, make_actor
from yibao.audit import service
from yibao.bootstrap import Container
from yibao.core.security import Role
from yibao.domain.errors import BusinessError


def test_audit_rows_cannot_be_changed_or_deleted(container: Container) -> None:
    add_region(container)
    count = "SELECT count(*) FROM audit_entry WHERE entity = 'region'"
    for statement in ("UPDATE audit_entry SET username = 'x'", "DELETE FROM audit_entry"):
        with pytest.raises(DBAPIError), container.engine.begin() as conn:
            conn.execute(text(statement))
    with container.uow() as uow:
        assert uow.session.execute(text(count)).scalar() == 1
        assert (
            uow.session.execute(text("SELECT username FROM audit_entry WHERE entity = 'region'")).scalar()
            == "system"
        )


def test_audit_is_filtered_by_the_readers_regions(container: Container) -> None:
    add_region(container, "439901")
    add_region(container, "439902")
    supervisor = make_actor(Role.SUPERVISOR, regions=("439901",))
    with container.uow(supervisor) as uow:
        rows = service.list_audit(uow=uow, entity="region").items
    assert [r.entity_id for r in rows] == ["439901"]


def test_reading_the_audit_needs_the_permission(container: Container) -> None:
    with container.uow(make_actor(Role.CLERK)) as uow, pytest.raises(BusinessError):
        service.list_audit(uow=uow)
