"""REST API for pooling regions: HTTP in, a service call, HTTP out."""

from __future__ import annotations

from fastapi import APIRouter

from yibao.core.schemas import ERROR_RESPONSES, PageOut
from yibao.regions import service
from yibao.regions.schemas import RegionIn, RegionOut, RegionPatch
from yibao.web.deps import UowDep

router = APIRouter(prefix="/api/v1/regions", tags=["统筹区 regions"], responses=ERROR_RESPONSES)


@router.get("", response_model=PageOut[RegionOut])
def list_regions(uow: UowDep, q: str | None = None, page: int = 1, size: int = 20) -> object:
    return service.list_regions(uow=uow, q=q, page=page, size=size)


@router.post("", response_model=RegionOut, status_code=201)
def create_region(body: RegionIn, uow: UowDep) -> object:
    return service.create_region(uow=uow, **body.model_dump())


@router.get("/{admdvs}", response_model=RegionOut)
def get_region(admdvs: str, uow: UowDep) -> object:
    return service.get_region(uow=uow, admdvs=admdvs)


@router.patch("/{admdvs}", response_model=RegionOut)
def update_region(admdvs: str, body: RegionPatch, uow: UowDep) -> object:
    return service.update_region(uow=uow, admdvs=admdvs, **body.model_dump())
