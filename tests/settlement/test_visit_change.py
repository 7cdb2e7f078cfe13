"""Changing a visit (就诊信息变更) and undoing a discharge (出院撤销) through the settlement service."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.settlement.helpers import World, at, build_world, fee, open_visit, request_id
from yibao.audit.models import AuditEntry
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.domain.errors import BusinessError
from yibao.settlement import service


@pytest.fixture
def world(container: Container) -> World:
    return build_world(container)


def _refused(container: Container, code: str, **kwargs: object) -> None:
    with container.uow(SYSTEM) as uow, pytest.raises(BusinessError) as caught:
        service.change_visit(uow=uow, **kwargs)  # type: ignore[arg-type]
    assert caught.value.code == code


def test_change_keeps_what_is_not_given_and_audits(container: Container, world: World) -> None:
    mdtrt_id = open_visit(container, world.worker, dept_code="A01")
    with container.uow(SYSTEM) as uow:
        visit = service.change_visit(
            uow=uow, mdtrt_id=mdtrt_id, med_type="2102", diagnoses=["j18.900", "E11.900", "J18.900"]
        )
        assert (visit.med_type, visit.diagnoses, visit.dept_code) == ("2102", "J18.900|E11.900", "A01")
        entry = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "visit.change")).one()
        assert entry.entity_id == mdtrt_id


def test_change_refusals(container: Container, world: World) -> None:
    mdtrt_id = open_visit(container, world.worker)
    _refused(container, "MED_TYPE_KIND", mdtrt_id=mdtrt_id, med_type="11")
    _refused(container, "DIAGNOSIS_REQUIRED", mdtrt_id=mdtrt_id, diagnoses=[])
    with container.uow(SYSTEM) as uow:
        service.upload_fees(uow=uow, mdtrt_id=mdtrt_id, fees=[fee("1", "ZL001", "30.00")])
    _refused(container, "FEE_TIME_RANGE", mdtrt_id=mdtrt_id, begntime=at("2024-03-02"))
    with container.uow(SYSTEM) as uow:
        service.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id())
    _refused(container, "VISIT_SETTLED", mdtrt_id=mdtrt_id, diagnoses=["E11.900"])


def test_undo_discharge_reopens_only_an_unsettled_discharged_visit(
    container: Container, world: World
) -> None:
    mdtrt_id = open_visit(container, world.worker)
    with container.uow(SYSTEM) as uow, pytest.raises(BusinessError) as caught:
        service.undo_discharge(uow=uow, mdtrt_id=mdtrt_id)
    assert caught.value.code == "NOT_DISCHARGED"
    with container.uow(SYSTEM) as uow:
        service.discharge(uow=uow, mdtrt_id=mdtrt_id, endtime=at("2024-03-05"))
    with container.uow(SYSTEM) as uow:
        visit = service.undo_discharge(uow=uow, mdtrt_id=mdtrt_id)
        assert (visit.status, visit.endtime) == ("open", None)
    with container.uow(SYSTEM) as uow:
        service.discharge(uow=uow, mdtrt_id=mdtrt_id, endtime=at("2024-03-05"))
    with container.uow(SYSTEM) as uow:
        service.upload_fees(uow=uow, mdtrt_id=mdtrt_id, fees=[fee("1", "ZL001", "30.00")])
    with container.uow(SYSTEM) as uow:
        service.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id())
    with container.uow(SYSTEM) as uow, pytest.raises(BusinessError) as settled:
        service.undo_discharge(uow=uow, mdtrt_id=mdtrt_id)
    assert settled.value.code == "VISIT_SETTLED"
