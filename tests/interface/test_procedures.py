"""2402 discharge: the procedures sent (dscginfo.oprn_oprt_code and the oprninfo rows) are stored with
the visit, main first, answered by 5201 and read for many visits in one query."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.interface.helpers import his_world
from tests.interface.scenario import admission, discharge_data
from tests.settlement.test_statements import counting
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.settlement import service as settlement
from yibao.settlement.models import Visit, VisitProcedure

STENT = "36.0601"  # 冠状动脉药物涂层支架置入术
ANGIOGRAPHY = "88.5101"  # 上腔静脉造影
GRAY = "36.0600"  # 灰码: not for settlement


def _row(code: str, **extra: Any) -> dict[str, Any]:
    return {"oprn_oprt_code": code, "oprn_oprt_name": "x", "oper_dr_code": "D001"} | extra


def _stored(container: Container, mdtrt_id: str) -> list[tuple[int, str, bool]]:
    with container.uow(SYSTEM) as uow:
        found = settlement.visit_procedures(uow=uow, mdtrt_ids=[mdtrt_id])
    return [(p.seq, p.code, p.main) for p in found.get(mdtrt_id, [])]


def _visits_5201(his: Any, psn_no: str) -> list[dict[str, Any]]:
    window = {"psn_no": psn_no, "begntime": "2024-01-01 00:00:00", "endtime": "2024-12-31 23:59:59"}
    return list(his.ok("5201", {"data": window})["mdtrtinfo"])


def test_the_flagged_main_procedure_comes_first(container: Container, app_client: TestClient) -> None:
    world, his = his_world(container, app_client)
    mdtrt_id = admission(his, world.worker)
    rows = [
        _row(ANGIOGRAPHY, main_oprn_flag="0", oprn_oprt_date="2024-03-02"),
        _row(STENT, oprn_oprt_name="冠脉支架", main_oprn_flag="1", oprn_oprt_begntime="2024-03-03 09:00:00"),
    ]
    his.ok("2402", discharge_data(mdtrt_id, world.worker, rows))
    assert _stored(container, mdtrt_id) == [(1, STENT, True), (2, ANGIOGRAPHY, False)]
    with container.uow(SYSTEM) as uow:
        dates = [
            p.oprn_date.isoformat()
            for p in settlement.visit_procedures(uow=uow, mdtrt_ids=[mdtrt_id])[mdtrt_id]
            if p.oprn_date
        ]
    assert dates == ["2024-03-03", "2024-03-02"]
    (visit,) = _visits_5201(his, world.worker)
    assert (visit["oprn_oprt_code"], visit["oprn_oprt_name"]) == (STENT, "冠脉支架")


def test_the_discharge_procedure_field_alone_is_the_main_one(
    container: Container, app_client: TestClient
) -> None:
    """The Hunan 2402 carries only dscginfo.oprn_oprt_code/name: that is the main procedure; without a
    name 5201 answers the ICD-9-CM-3 name. A second 2402 without procedures keeps them; one with other
    procedures replaces them."""
    world, his = his_world(container, app_client)
    mdtrt_id = admission(his, world.worker)
    his.ok("2402", discharge_data(mdtrt_id, world.worker, oprn_oprt_code=STENT))
    assert _stored(container, mdtrt_id) == [(1, STENT, True)]
    (visit,) = _visits_5201(his, world.worker)
    assert (visit["oprn_oprt_code"], visit["oprn_oprt_name"]) == (STENT, "冠状动脉药物涂层支架置入术")
    his.ok("2402", discharge_data(mdtrt_id, world.worker))
    assert _stored(container, mdtrt_id) == [(1, STENT, True)]
    his.ok(
        "2402",
        discharge_data(mdtrt_id, world.worker, [_row(STENT), _row(ANGIOGRAPHY)], oprn_oprt_code=ANGIOGRAPHY),
    )
    assert _stored(container, mdtrt_id) == [(1, ANGIOGRAPHY, True), (2, STENT, False)]


def test_a_visit_without_procedures_answers_none(container: Container, app_client: TestClient) -> None:
    world, his = his_world(container, app_client)
    mdtrt_id = admission(his, world.worker)
    his.ok("2402", discharge_data(mdtrt_id, world.worker))
    assert _stored(container, mdtrt_id) == []
    (visit,) = _visits_5201(his, world.worker)
    assert visit["oprn_oprt_code"] is None and visit["oprn_oprt_name"] is None


def test_bad_procedures_refuse_the_wholedischarge_data(container: Container, app_client: TestClient) -> None:
    """An unknown or gray code, a bad flag, two main procedures: refused, the visit stays in hospital
    and no procedure is stored."""
    world, his = his_world(container, app_client)
    mdtrt_id = admission(his, world.worker)
    his.refused("2402", discharge_data(mdtrt_id, world.worker, [_row("99.9999")]), "ICD_UNKNOWN")
    his.refused("2402", discharge_data(mdtrt_id, world.worker, [_row(GRAY)]), "ICD_GRAY")
    his.refused("2402", discharge_data(mdtrt_id, world.worker, oprn_oprt_code=GRAY), "ICD_GRAY")
    his.refused(
        "2402", discharge_data(mdtrt_id, world.worker, [_row(STENT, main_oprn_flag="5")]), "DICT_CODE"
    )
    two_mains = [_row(STENT, main_oprn_flag="1"), _row(ANGIOGRAPHY, oprn_oprt_type="1")]
    his.refused("2402", discharge_data(mdtrt_id, world.worker, two_mains), "PROCEDURE_MAIN")
    with container.uow(SYSTEM) as uow:
        visit = uow.session.scalars(select(Visit).where(Visit.mdtrt_id == mdtrt_id)).one()
        assert visit.endtime is None and visit.status == "open"
        assert uow.session.scalar(select(func.count()).select_from(VisitProcedure)) == 0


def test_procedures_of_many_visits_are_read_in_one_query(
    container: Container, app_client: TestClient
) -> None:
    world, his = his_world(container, app_client)
    first = admission(his, world.worker)
    his.ok("2402", discharge_data(first, world.worker, oprn_oprt_code=STENT))
    second = admission(his, world.resident, insutype="390")
    his.ok("2402", discharge_data(second, world.resident, [_row(ANGIOGRAPHY), _row(STENT)]))
    third = admission(his, world.worker)
    with container.uow(SYSTEM) as uow, counting(container) as seen:
        found = settlement.visit_procedures(uow=uow, mdtrt_ids=[first, second, third])
        codes = {k: [p.code for p in v] for k, v in found.items()}
    assert codes == {first: [STENT], second: [ANGIOGRAPHY, STENT]}
    assert len([s for s in seen if s.lstrip().upper().startswith("SELECT")]) == 1
