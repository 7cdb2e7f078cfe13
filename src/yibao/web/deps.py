"""FastAPI dependencies: the container, the signed-in actor, a unit of work for that actor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import OAuth2PasswordBearer

from yibao.bootstrap import Container
from yibao.core.security import Actor
from yibao.core.uow import UnitOfWork
from yibao.domain.errors import BusinessError, ErrorKind
from yibao.staff import service as staff

SESSION_COOKIE = "yibao_session"

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def current_actor(
    request: Request, container: ContainerDep, token: Annotated[str | None, Depends(oauth2)] = None
) -> Actor:
    """The actor behind a bearer token (API) or the session cookie (console)."""
    token = token or request.cookies.get(SESSION_COOKIE)
    if not token:
        raise BusinessError(code="AUTH_REQUIRED", message="请先登录", kind=ErrorKind.UNAUTHENTICATED)
    with container.uow() as uow:
        return staff.actor_from_token(uow=uow, token=token, secret_key=container.settings.secret_key)


ActorDep = Annotated[Actor, Depends(current_actor)]


def unit_of_work(container: ContainerDep, actor: ActorDep) -> Iterator[UnitOfWork]:
    """A unit of work for the signed-in actor, closed (and rolled back if uncommitted) after the request."""
    with container.uow(actor) as uow:
        yield uow


UowDep = Annotated[UnitOfWork, Depends(unit_of_work)]


RecordId = Annotated[int, Path(ge=1, le=2**63 - 1, description="记录编号")]
"""A numeric record id in a path: a positive 64-bit integer (larger values are refused, not overflowed)."""
