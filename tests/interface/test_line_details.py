"""2301/2204 keep what a fee line says beyond its money (开单科室/医生, 周期天数, 出院带药标志) and 2402
keeps 离院方式: the data the discharge-medication and other monitoring rules read afterwards."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient

from tests.interface.helpers import fee_row, his_world
from tests.interface.scenario import admission, discharge_data, register, settle_data
from tests.settlement.helpers import line_details
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.settlement import service as settlement


def test_a_discharge_drug_line_and_the_way_of_leaving_are_kept(
    container: Container, app_client: TestClient
) -> None:
    world, his = his_world(container, app_client)
    mdtrt_id = admission(his, world.worker)
    rows = [
        fee_row(
            "1", mdtrt_id, world.worker, "ZL001", "300.00", med_type="2101", prd_days=""
        ),  # untidy: empty
        fee_row(
            "2",
            mdtrt_id,
            world.worker,
            "YP001",
            "1.50",
            cnt="14",
            med_type="2101",
            prd_days=7,
            dscg_tkdrug_flag="1",
        ),
    ]
    his.ok("2301", {"feedetail": rows})
    assert line_details(container, mdtrt_id) == [
        ("1", "A01", "D001", None, None),
        ("2", "A01", "D001", Decimal("7.00"), "1"),
    ]
    his.ok("2402", discharge_data(mdtrt_id, world.worker, dscg_way="5"))
    with container.uow(SYSTEM) as uow:
        assert settlement.get_visit(uow=uow, mdtrt_id=mdtrt_id).visit.dscg_way == "5"  # 死亡


def test_a_wrong_discharge_drug_flag_refuses_the_upload_and_names_the_field(
    container: Container, app_client: TestClient
) -> None:
    world, his = his_world(container, app_client)
    mdtrt_id = admission(his, world.worker)
    rows = [
        fee_row("1", mdtrt_id, world.worker, "ZL001", "300.00", med_type="2101"),
        fee_row(
            "2",
            mdtrt_id,
            world.worker,
            "YP001",
            "1.50",
            med_type="2101",
            dscg_tkdrug_flag="Y",
            prd_days="120",
        ),
    ]
    answer = his.call("2301", {"feedetail": rows})
    assert answer["infcode"] == -1
    assert "prd_days" in answer["err_msg"]
    answer = his.call("2301", {"feedetail": [rows[0], rows[1] | {"prd_days": "3"}]})
    assert answer["infcode"] == -1 and "dscg_tkdrug_flag" in answer["err_msg"]
    assert line_details(container, mdtrt_id) == []


def test_an_early_morning_visit_belongs_to_its_beijing_day(
    container: Container, app_client: TestClient
) -> None:
    """06:30 on 2024-03-01 in Beijing is still 2024-02-29 in UTC; the visit's day is the region's: the
    settlement answers begndate 2024-03-01."""
    world, his = his_world(container, app_client)
    mdtrt_id = register(his, world.worker, begntime="2024-03-01 06:30:00")
    row = fee_row("1", mdtrt_id, world.worker, "ZL001", "30.00", fee_ocur_time="2024-03-01 06:40:00")
    his.ok("2204", {"feedetail": [row]})
    answer = his.ok("2207", settle_data(world.worker, mdtrt_id, "30.00"))
    assert (answer["setlinfo"]["begndate"], answer["setlinfo"]["enddate"]) == ("2024-03-01", "2024-03-01")
