"""Use cases for pooling regions."""

from __future__ import annotations

from datetime import date

from yibao.core.paging import Page
from yibao.core.security import Perm
from yibao.core.uow import UnitOfWork
from yibao.core.validation import optional_text, require_admdvs, require_text
from yibao.domain.errors import conflict, invalid, not_found
from yibao.domain.periods import check_order
from yibao.regions.models import Region
from yibao.regions.repository import RegionRepository

LEVELS = {"county": "县级", "city": "市级", "province": "省级"}


def create_region(
    *,
    uow: UnitOfWork,
    admdvs: str,
    name: str,
    level: str,
    begin: date,
    parent_admdvs: str | None = None,
    end: date | None = None,
) -> Region:
    """Register a pooling region; its code must be new and six digits."""
    uow.actor.require(Perm.REGION_WRITE)
    admdvs = require_admdvs(admdvs)
    name = require_text(name, field="name", max_len=64, label="统筹区名称")
    if level not in LEVELS:
        raise invalid("REGION_LEVEL", "level", f"字段 level 统筹层次必须是 {'/'.join(LEVELS)} 之一")
    parent = optional_text(parent_admdvs, field="parent_admdvs", max_len=6, label="上级统筹区")
    if parent is not None:
        parent = require_admdvs(parent, field="parent_admdvs")
    check_order(begin, end)
    repo = RegionRepository(uow.session)
    if repo.by_code(admdvs) is not None:
        raise conflict("REGION_EXISTS", f"字段 admdvs：统筹区 {admdvs} 已存在", "admdvs")
    region = Region(admdvs=admdvs, name=name, level=level, parent_admdvs=parent, begin=begin, end=end)
    repo.add(region)
    uow.flush()
    uow.audit(
        action="region.create", entity="region", entity_id=admdvs, admdvs=admdvs, after=region.snapshot()
    )
    uow.commit()
    return region


def update_region(
    *, uow: UnitOfWork, admdvs: str, name: str | None = None, end: date | None = None, clear_end: bool = False
) -> Region:
    """Rename a region or set/clear the last day it is in use."""
    uow.actor.require(Perm.REGION_WRITE)
    region = get_region(uow=uow, admdvs=admdvs)
    before = region.snapshot()
    if name is not None:
        region.name = require_text(name, field="name", max_len=64, label="统筹区名称")
    if end is not None or clear_end:
        check_order(region.begin, None if clear_end else end)
        region.end = None if clear_end else end
    uow.audit(
        action="region.update",
        entity="region",
        entity_id=admdvs,
        admdvs=admdvs,
        before=before,
        after=region.snapshot(),
    )
    uow.commit()
    return region


def get_region(*, uow: UnitOfWork, admdvs: str) -> Region:
    """The region with this code, if the actor may see it."""
    region = RegionRepository(uow.session).by_code(admdvs)
    if region is None or not uow.actor.sees_region(region.admdvs):
        raise not_found("REGION_NOT_FOUND", f"统筹区 {admdvs} 不存在", "admdvs")
    return region


def list_regions(*, uow: UnitOfWork, q: str | None = None, page: int = 1, size: int = 20) -> Page[Region]:
    """The regions the actor may see, searched by code or name."""
    return RegionRepository(uow.session).search(regions=uow.actor.region_filter(), q=q, page=page, size=size)
