"""Staff accounts: Argon2 passwords, tokens, roles and region scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.factories import add_region, login, make_actor
from yibao.bootstrap import Container
from yibao.core.db import utcnow
from yibao.core.security import Actor, Perm, Role
from yibao.domain.errors import BusinessError
from yibao.staff import service


def _clerk(container: Container, admin: Actor, regions: list[str] | None = None) -> None:
    with container.uow(admin) as uow:
        service.create_user(
            uow=uow,
            username="clerk1",
            password="clerk-pass-1",
            display_name="经办甲",
            roles=["clerk"],
            regions=regions or ["439901"],
        )


def test_password_is_stored_as_argon2_and_checked(container: Container, admin: Actor) -> None:
    _clerk(container, admin)
    with container.uow() as uow:
        user = service.authenticate(uow=uow, username="clerk1", password="clerk-pass-1")
        assert user.password_hash.startswith("$argon2id$")
        with pytest.raises(BusinessError) as info:
            service.authenticate(uow=uow, username="clerk1", password="wrong-pass")
        assert info.value.code == "AUTH_INVALID"


def test_token_gives_the_actor_with_roles_and_regions(container: Container, admin: Actor) -> None:
    _clerk(container, admin, ["439901", "439902"])
    with container.uow() as uow:
        user = service.authenticate(uow=uow, username="clerk1", password="clerk-pass-1")
        token = service.issue_token(user, secret_key="k" * 32, minutes=10)
        actor = service.actor_from_token(uow=uow, token=token, secret_key="k" * 32)
    assert actor.roles == {Role.CLERK}
    assert actor.regions == {"439901", "439902"}
    assert actor.has(Perm.ENROL_WRITE) and not actor.has(Perm.USER_ADMIN)


def test_expired_or_forged_tokens_are_refused(container: Container, admin: Actor) -> None:
    _clerk(container, admin)
    with container.uow() as uow:
        user = service.authenticate(uow=uow, username="clerk1", password="clerk-pass-1")
        old = service.issue_token(user, secret_key="k" * 32, minutes=10, now=utcnow() - timedelta(hours=1))
        for token, key in [
            (old, "k" * 32),
            (service.issue_token(user, secret_key="x" * 32, minutes=10), "k" * 32),
        ]:
            with pytest.raises(BusinessError) as info:
                service.actor_from_token(uow=uow, token=token, secret_key=key)
            assert info.value.code == "AUTH_INVALID"


def test_deactivated_user_cannot_sign_in(container: Container, admin: Actor) -> None:
    _clerk(container, admin)
    with container.uow(admin) as uow:
        service.set_user_active(uow=uow, username="clerk1", active=False)
    with container.uow() as uow, pytest.raises(BusinessError):
        service.authenticate(uow=uow, username="clerk1", password="clerk-pass-1")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"password": "short"}, "password"),
        ({"roles": ["boss"]}, "roles"),
        ({"regions": ["12"]}, "regions"),
        ({"roles": ["institution"]}, "institution_code"),
    ],
)
def test_bad_user_input_names_the_field(
    container: Container, admin: Actor, changes: dict, field: str
) -> None:
    args = {
        "username": "u1",
        "password": "long-enough-1",
        "display_name": "甲",
        "roles": ["clerk"],
        "regions": ["439901"],
    } | changes
    with container.uow(admin) as uow, pytest.raises(BusinessError) as info:
        service.create_user(uow=uow, **args)
    assert info.value.field == field


def test_a_regional_admin_cannot_grant_other_regions(container: Container) -> None:
    regional_admin = make_actor(Role.ADMIN, regions=("439901",))
    with container.uow(regional_admin) as uow, pytest.raises(BusinessError) as info:
        service.create_user(
            uow=uow,
            username="u2",
            password="long-enough-1",
            display_name="乙",
            roles=["clerk"],
            regions=["439902"],
        )
    assert info.value.code == "AUTH_REGION"


def test_sign_in_over_http_and_me(container: Container, app_client: TestClient, admin_headers: dict) -> None:
    add_region(container)
    created = app_client.post(
        "/api/v1/users",
        headers=admin_headers,
        json={
            "username": "rev1",
            "password": "review-pass-1",
            "display_name": "审核乙",
            "roles": ["reviewer"],
            "regions": ["439901"],
        },
    )
    assert created.status_code == 201, created.text
    headers = login(app_client, "rev1", "review-pass-1")
    me = app_client.get("/api/v1/auth/me", headers=headers).json()
    assert me["roles"] == ["reviewer"] and me["regions"] == ["439901"]
    assert app_client.get("/api/v1/users", headers=headers).status_code == 403
    wrong = app_client.post("/api/v1/auth/token", data={"username": "rev1", "password": "nope-nope"})
    assert wrong.status_code == 401
