"""Small builders shared by the tests."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from yibao.bootstrap import Container
from yibao.core.security import SYSTEM, Actor, Role
from yibao.regions import service as regions


def add_region(container: Container, admdvs: str = "439901", name: str = "示范县") -> None:
    """Register a pooling region as the system actor."""
    with container.uow(SYSTEM) as uow:
        regions.create_region(uow=uow, admdvs=admdvs, name=name, level="county", begin=date(2020, 1, 1))


def make_actor(
    *roles: Role,
    regions: tuple[str, ...] = ("439901",),
    all_regions: bool = False,
    institution_code: str | None = None,
    username: str = "tester",
) -> Actor:
    """An actor with the given roles scoped to `regions`."""
    return Actor(
        user_id=None,
        username=username,
        roles=frozenset(roles),
        regions=frozenset(regions),
        all_regions=all_regions,
        institution_code=institution_code,
    )


def login(client: TestClient, username: str, password: str) -> dict[str, str]:
    """Bearer headers for a user."""
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
