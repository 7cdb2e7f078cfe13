"""Console dependencies: the signed-in actor or a redirect to the login page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from yibao.core.security import Actor
from yibao.core.uow import UnitOfWork
from yibao.domain.errors import BusinessError
from yibao.staff import service as staff
from yibao.web.deps import SESSION_COOKIE, ContainerDep


class LoginRequiredError(Exception):
    """Raised when a console page is asked for without a valid session; answered by a redirect."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def console_actor(request: Request, container: ContainerDep) -> Actor:
    """The signed-in actor of the console session cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    next_url = quote(str(request.url.path))
    if not token:
        raise LoginRequiredError(next_url)
    try:
        with container.uow() as uow:
            return staff.actor_from_token(uow=uow, token=token, secret_key=container.settings.secret_key)
    except BusinessError as exc:
        raise LoginRequiredError(next_url) from exc


ConsoleActor = Annotated[Actor, Depends(console_actor)]


def console_uow(container: ContainerDep, actor: ConsoleActor) -> Iterator[UnitOfWork]:
    """A unit of work for the console's signed-in actor."""
    with container.uow(actor) as uow:
        yield uow


ConsoleUow = Annotated[UnitOfWork, Depends(console_uow)]


async def form_data(request: Request) -> dict[str, str]:
    """The submitted form as plain strings (files are left to the page that wants them)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


FormData = Annotated[dict[str, str], Depends(form_data)]
