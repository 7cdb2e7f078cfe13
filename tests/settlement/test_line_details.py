"""Fee lines keep what the national upload sends about them (开单科室/医生, 周期天数, 出院带药标志) and a
discharge keeps how the patient left (离院方式): the data the monitoring rules read afterwards."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from tests.settlement.helpers import World, at, build_world, fee, line_details, open_visit
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.domain.errors import BusinessError
from yibao.settlement import service


@pytest.fixture
def world(container: Container) -> World:
    return build_world(container)


def _upload(container: Container, mdtrt_id: str, *lines: service.FeeInput) -> None:
    with container.uow(SYSTEM) as uow:
        service.upload_fees(uow=uow, mdtrt_id=mdtrt_id, fees=list(lines))


def test_a_discharge_drug_line_keeps_its_supply_days_flag_and_ordering_doctor(
    container: Container, world: World
) -> None:
    """出院带药 (001 第6篇 第31条) is judged on the flag and the supply days of each line."""
    mdtrt_id = open_visit(container, world.worker)
    take_home = replace(
        fee("1", "YP001", "2.00", cnt="14"),
        bilg_dept_codg="A03",
        bilg_dr_codg="D110105000001",
        prd_days=Decimal("7"),
        dscg_tkdrug_flag="1",
    )
    _upload(container, mdtrt_id, take_home, fee("2", "ZL001", "30.00"))
    assert line_details(container, mdtrt_id) == [
        ("1", "A03", "D110105000001", Decimal("7.00"), "1"),
        ("2", None, None, None, None),  # optional: a HIS may leave them out
    ]


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"prd_days": Decimal("100")}, "FEE_PRD_DAYS", "prd_days"),  # 数值型(4,2): at most 99.99
        ({"prd_days": Decimal("1.234")}, "FEE_PRD_DAYS", "prd_days"),
        ({"prd_days": Decimal("-1")}, "FEE_PRD_DAYS", "prd_days"),
        ({"dscg_tkdrug_flag": "2"}, "DICT_CODE", "dscg_tkdrug_flag"),  # 0 否 / 1 是
        ({"bilg_dr_codg": "D" * 31}, "TOO_LONG", "bilg_dr_codg"),
    ],
)
def test_a_bad_line_detail_refuses_the_whole_upload(
    container: Container, world: World, change: dict[str, object], code: str, field: str
) -> None:
    mdtrt_id = open_visit(container, world.worker)
    with pytest.raises(BusinessError) as refused:
        _upload(container, mdtrt_id, fee("1", "ZL001", "30.00"), replace(fee("2", "YP001", "2.00"), **change))
    assert (refused.value.code, refused.value.field) == (code, field)
    assert line_details(container, mdtrt_id) == []  # nothing stored, not even the good line


def test_the_discharge_keeps_how_the_patient_left(container: Container, world: World) -> None:
    mdtrt_id = open_visit(container, world.worker)
    with container.uow(SYSTEM) as uow, pytest.raises(BusinessError) as refused:
        service.discharge(uow=uow, mdtrt_id=mdtrt_id, endtime=at("2024-03-05"), dscg_way="7")
    assert (refused.value.code, refused.value.field) == ("DICT_CODE", "dscg_way")
    with container.uow(SYSTEM) as uow:
        service.discharge(uow=uow, mdtrt_id=mdtrt_id, endtime=at("2024-03-05"), dscg_way="2")  # 医嘱转院
    with container.uow(SYSTEM) as uow:
        visit = service.get_visit(uow=uow, mdtrt_id=mdtrt_id).visit
        assert (visit.status, visit.dscg_way) == ("discharged", "2")


def test_a_discharge_before_a_fee_already_uploaded_is_refused(container: Container, world: World) -> None:
    """Every fee falls within its stay: a discharge on the 4th cannot stand while a fee of the 5th is
    uploaded (the rule fee uploads after the discharge already meet); once that line is cancelled it can."""
    mdtrt_id = open_visit(container, world.worker)  # from 2024-03-01
    _upload(
        container,
        mdtrt_id,
        fee("1", "ZL001", "30.00", day="2024-03-01"),
        fee("2", "ZL001", "30.00", day="2024-03-05"),
    )
    with container.uow(SYSTEM) as uow, pytest.raises(BusinessError) as refused:
        service.discharge(uow=uow, mdtrt_id=mdtrt_id, endtime=at("2024-03-04"))
    assert (refused.value.code, refused.value.field) == ("FEE_AFTER_DISCHARGE", "endtime")
    assert "2" in refused.value.message
    with container.uow(SYSTEM) as uow:
        visit = service.get_visit(uow=uow, mdtrt_id=mdtrt_id).visit
        assert (visit.status, visit.endtime) == ("open", None)  # nothing stored
    with container.uow(SYSTEM) as uow:
        service.discharge(uow=uow, mdtrt_id=mdtrt_id, endtime=at("2024-03-05", hour=1))  # the same day: fine
    with container.uow(SYSTEM) as uow:
        service.cancel_fees(uow=uow, mdtrt_id=mdtrt_id, feedetl_sns=["2"])
    with container.uow(SYSTEM) as uow:
        service.discharge(uow=uow, mdtrt_id=mdtrt_id, endtime=at("2024-03-04"))  # no fee after the 4th now
