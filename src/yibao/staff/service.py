"""Use cases for staff accounts: create, authenticate, tokens, the actor behind a request."""

from __future__ import annotations

from datetime import datetime, timedelta

import jwt

from yibao.core.db import utcnow
from yibao.core.paging import Page
from yibao.core.security import Actor, Perm, Role
from yibao.core.uow import UnitOfWork
from yibao.core.validation import optional_text, require_admdvs, require_text
from yibao.domain.errors import BusinessError, ErrorKind, choice, conflict, invalid, not_found
from yibao.staff.models import User, UserRegion
from yibao.staff.passwords import hash_password, verify_password
from yibao.staff.repository import UserRepository

MIN_PASSWORD = 8
_ALGORITHM = "HS256"


def _unauthenticated(message: str) -> BusinessError:
    return BusinessError(code="AUTH_INVALID", message=message, kind=ErrorKind.UNAUTHENTICATED)


def _parse_roles(roles: list[str]) -> list[Role]:
    if not roles:
        raise invalid("USER_ROLES", "roles", "字段 roles 至少需要一个角色")
    return [choice(Role, value, code="USER_ROLE", field="roles", label="角色") for value in roles]


def create_user(
    *,
    uow: UnitOfWork,
    username: str,
    password: str,
    display_name: str,
    roles: list[str],
    regions: list[str],
    all_regions: bool = False,
    institution_code: str | None = None,
) -> User:
    """Create a user scoped to `regions`; only a deployment administrator may grant all regions."""
    uow.actor.require(Perm.USER_ADMIN)
    username = require_text(username, field="username", max_len=64, label="用户名")
    display_name = require_text(display_name, field="display_name", max_len=64, label="姓名")
    if len(password or "") < MIN_PASSWORD:
        raise invalid("USER_PASSWORD", "password", f"字段 password 密码至少{MIN_PASSWORD}位")
    parsed_roles = _parse_roles(roles)
    codes = sorted({require_admdvs(r, field="regions") for r in regions})
    if not codes and not all_regions:
        raise invalid("USER_REGIONS", "regions", "字段 regions 用户至少要属于一个统筹区")
    for code in codes:
        uow.actor.require_region(code, field="regions")
    if all_regions and not uow.actor.all_regions:
        raise invalid("USER_ALL_REGIONS", "all_regions", "字段 all_regions 只有全局管理员可以授予全部统筹区")
    institution = optional_text(institution_code, field="institution_code", max_len=32, label="定点机构编码")
    if Role.INSTITUTION in parsed_roles and institution is None:
        raise invalid(
            "USER_INSTITUTION", "institution_code", "字段 institution_code 定点机构操作员必须绑定机构"
        )
    repo = UserRepository(uow.session)
    if repo.by_username(username) is not None:
        raise conflict("USER_EXISTS", f"字段 username：用户名 {username} 已存在", "username")
    user = User(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        roles=",".join(r.value for r in parsed_roles),
        all_regions=all_regions,
        institution_code=institution,
        active=True,
        created_at=utcnow(),
        region_links=[UserRegion(admdvs=c) for c in codes],
    )
    repo.add(user)
    uow.flush()
    uow.audit(action="user.create", entity="user", entity_id=user.id, after=user.snapshot())
    uow.commit()
    return user


def set_user_active(*, uow: UnitOfWork, username: str, active: bool) -> User:
    """Enable or disable a user's sign-in."""
    uow.actor.require(Perm.USER_ADMIN)
    user = get_user(uow=uow, username=username)
    before = user.snapshot()
    user.active = active
    uow.audit(
        action="user.activate" if active else "user.deactivate",
        entity="user",
        entity_id=user.id,
        before=before,
        after=user.snapshot(),
    )
    uow.commit()
    return user


def get_user(*, uow: UnitOfWork, username: str) -> User:
    """The user with this name, if the actor may administer users and shares a region with it."""
    uow.actor.require(Perm.USER_ADMIN)
    user = UserRepository(uow.session).by_username(username)
    visible = user is not None and (uow.actor.all_regions or bool(set(user.region_list) & uow.actor.regions))
    if user is None or not visible:
        raise not_found("USER_NOT_FOUND", f"用户 {username} 不存在", "username")
    return user


def list_users(*, uow: UnitOfWork, q: str | None = None, page: int = 1, size: int = 20) -> Page[User]:
    """Users sharing a region with the actor."""
    uow.actor.require(Perm.USER_ADMIN)
    return UserRepository(uow.session).search(regions=uow.actor.region_filter(), q=q, page=page, size=size)


def actor_for(user: User) -> Actor:
    """The security context of a signed-in user."""
    return Actor(
        user_id=user.id,
        username=user.username,
        roles=frozenset(Role(r) for r in user.role_list),
        regions=frozenset(user.region_list),
        all_regions=user.all_regions,
        institution_code=user.institution_code,
    )


def authenticate(*, uow: UnitOfWork, username: str, password: str) -> User:
    """The active user whose password matches; one vague message for every failure."""
    user = UserRepository(uow.session).by_username((username or "").strip())
    if user is None or not user.active or not verify_password(user.password_hash, password or ""):
        raise _unauthenticated("用户名或密码错误")
    return user


def issue_token(user: User, *, secret_key: str, minutes: int, now: datetime | None = None) -> str:
    """A signed bearer token naming the user, valid for `minutes`."""
    issued = now or utcnow()
    payload = {
        "sub": str(user.id),
        "name": user.username,
        "iat": issued,
        "exp": issued + timedelta(minutes=minutes),
    }
    return jwt.encode(payload, secret_key, algorithm=_ALGORITHM)


def actor_from_token(*, uow: UnitOfWork, token: str, secret_key: str) -> Actor:
    """The actor a token stands for, re-read from the database so role changes apply at once."""
    try:
        payload = jwt.decode(token, secret_key, algorithms=[_ALGORITHM])
        user_id = int(payload["sub"])
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise _unauthenticated("登录已失效，请重新登录") from exc
    user = UserRepository(uow.session).by_id(user_id)
    if user is None or not user.active:
        raise _unauthenticated("登录已失效，请重新登录")
    return actor_for(user)


def ensure_admin(*, uow: UnitOfWork, username: str, password: str) -> bool:
    """Create the first deployment administrator if no user exists; True if one was created."""
    repo = UserRepository(uow.session)
    if repo.search(regions=None, q=None, page=1, size=1).total:
        return False
    user = User(
        username=username,
        display_name="系统管理员",
        password_hash=hash_password(password),
        roles=Role.ADMIN.value,
        all_regions=True,
        active=True,
        created_at=utcnow(),
        region_links=[],
    )
    repo.add(user)
    uow.flush()
    uow.audit(
        action="user.create", entity="user", entity_id=user.id, after=user.snapshot(), note="初始管理员"
    )
    uow.commit()
    return True
