"""Helpers for the reference-data tests: users, console sign-in, a changed copy of the ICD files."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update

from tests.factories import add_region, login
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM, Role
from yibao.reference import lookup
from yibao.reference.models import DictEntry, IcdCode, RefDataset
from yibao.staff import service as staff

ICD10_FILE = "ICD10医保版v2.0.dat"
ICD9_FILE = "ICD9CM3医保版v2.0.dat"


def add_user(container: Container, username: str, role: Role = Role.ANALYST) -> None:
    """A staff user of region 439901 with one role (password "user-pass-123")."""
    add_region(container)
    with container.uow(SYSTEM) as uow:
        staff.create_user(
            uow=uow,
            username=username,
            password="user-pass-123",
            display_name=username,
            roles=[role.value],
            regions=["439901"],
        )


def user_headers(container: Container, client: TestClient, role: Role = Role.ANALYST) -> dict[str, str]:
    """Bearer headers of a freshly created user with `role`."""
    add_user(container, "reader", role)
    return login(client, "reader", "user-pass-123")


def console_login(client: TestClient, username: str, password: str) -> None:
    """Sign the test client in to the console (the session cookie stays on the client)."""
    response = client.post(
        "/console/login", data={"username": username, "password": password}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def copy_reference(
    source: Path, target: Path, *, change: dict[str, str] | None = None, file: str = ICD10_FILE
) -> Path:
    """A copy of the ICD folder (and the dictionaries) with lines of one ICD file replaced.

    `change` maps a code to its new line in `file` (the ICD-10 list unless told).
    """
    for folder in ("icd", "nhsa-interface"):
        shutil.copytree(source / folder, target / folder, copy_function=shutil.copyfile)
        (target / folder).chmod(0o755)
    if change:
        path = target / "icd" / file
        lines = path.read_text(encoding="utf-8").split("\n")
        lines = [change.get(line.split(" ", 1)[0], line) for line in lines]
        path.write_text("\n".join(lines), encoding="utf-8")
    return target


@pytest.fixture
def restore_reference(container: Container) -> Iterator[None]:
    """Put the shared reference tables back after a test that loads new versions.

    On PostgreSQL the reference tables are kept between tests (only business tables are
    truncated), so data sets added by a test are deleted and the versions it closed reopened.
    """
    with container.uow() as uow:
        last = uow.session.scalar(select(RefDataset.id).order_by(RefDataset.id.desc()).limit(1)) or 0
        opened = list(uow.session.scalars(select(RefDataset.id).where(RefDataset.end.is_(None))))
    yield
    with container.uow() as uow:
        uow.session.execute(delete(RefDataset).where(RefDataset.id > last))
        uow.session.execute(update(RefDataset).where(RefDataset.id.in_(opened)).values(end=None))
        for model in (DictEntry, IcdCode):
            uow.session.execute(update(model).where(model.dataset_id.in_(opened)).values(end=None))
        uow.commit()
    lookup.invalidate()
