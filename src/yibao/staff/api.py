"""REST API for sign-in and staff accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from yibao.core.schemas import ERROR_RESPONSES, PageOut
from yibao.staff import service
from yibao.staff.schemas import MeOut, TokenOut, UserIn, UserOut
from yibao.web.deps import ActorDep, ContainerDep, UowDep

router = APIRouter(prefix="/api/v1", tags=["用户 staff"], responses=ERROR_RESPONSES)


@router.post("/auth/token", response_model=TokenOut)
def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], container: ContainerDep) -> TokenOut:
    with container.uow() as uow:
        user = service.authenticate(uow=uow, username=form.username, password=form.password)
    settings = container.settings
    return TokenOut(
        access_token=service.issue_token(user, secret_key=settings.secret_key, minutes=settings.token_minutes)
    )


@router.get("/auth/me", response_model=MeOut)
def me(actor: ActorDep) -> MeOut:
    return MeOut(
        username=actor.username,
        roles=sorted(actor.roles),
        regions=sorted(actor.regions),
        all_regions=actor.all_regions,
        permissions=sorted(actor.permissions),
    )


@router.get("/users", response_model=PageOut[UserOut])
def list_users(uow: UowDep, q: str | None = None, page: int = 1, size: int = 20) -> object:
    return service.list_users(uow=uow, q=q, page=page, size=size)


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(body: UserIn, uow: UowDep) -> object:
    return service.create_user(uow=uow, **body.model_dump())


@router.post("/users/{username}/deactivate", response_model=UserOut)
def deactivate_user(username: str, uow: UowDep) -> object:
    return service.set_user_active(uow=uow, username=username, active=False)
