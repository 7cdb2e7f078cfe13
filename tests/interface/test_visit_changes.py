"""2203 visit upload, 2403 admission change and 2405 discharge undo through the envelope."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.interface.helpers import fee_row, his_world
from tests.interface.scenario import admission, register, settle_data
from yibao.bootstrap import Container
from yibao.settlement.models import Visit


def _visit(container: Container, mdtrt_id: str) -> Visit:
    with container.uow() as uow:
        return uow.session.scalars(select(Visit).where(Visit.mdtrt_id == mdtrt_id)).one()


def _change(mdtrt_id: str, psn_no: str, rows: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    info = {
        "mdtrt_id": mdtrt_id,
        "psn_no": psn_no,
        "begntime": "2024-03-01 07:30:00",
        "mdtrt_cert_type": "02",
        "med_type": "2101",
        "ipt_otp_no": "ZY0001",
        "atddr_no": "D002",
        "chfpdr_name": "李医生",
        "adm_diag_dscr": "肺炎",
        "adm_dept_codg": "A02",
        "adm_dept_name": "呼吸科",
        "adm_bed": "15",
        "dscg_maindiag_code": "J18.900",
        "dscg_maindiag_name": "肺炎",
    }
    return {"adminfo": info | extra, "diseinfo": rows}


def _disease(mdtrt_id: str, psn_no: str, srt: int, code: str, main: str = "0") -> dict[str, Any]:
    return {
        "mdtrt_id": mdtrt_id,
        "psn_no": psn_no,
        "diag_type": "1",
        "maindiag_flag": main,
        "diag_srt_no": srt,
        "diag_code": code,
        "diag_name": "x",
        "diag_dept": "内科",
        "dise_dor_no": "D001",
        "dise_dor_name": "王医生",
        "diag_time": "2024-03-01 08:00:00",
    }


def test_admission_change_adds_by_new_sort_number_and_changes_by_existing_one(
    container: Container, app_client: TestClient
) -> None:
    """Stored [J18.900]; rows: srt 2 → E11.900 (added), srt 3 → E78.500 (added); then srt 2 → K29.700."""
    world, his = his_world(container, app_client)
    mdtrt_id = admission(his, world.worker)
    rows = [_disease(mdtrt_id, world.worker, 2, "E11.900"), _disease(mdtrt_id, world.worker, 3, "E78.500")]
    his.ok("2403", _change(mdtrt_id, world.worker, rows))
    visit = _visit(container, mdtrt_id)
    assert visit.diagnoses == "J18.900|E11.900|E78.500"
    assert (visit.dept_code, visit.dr_code) == ("A02", "D002")
    assert visit.begntime.hour in (7, 23)  # 07:30 Beijing time, stored as UTC on PostgreSQL
    his.ok("2403", _change(mdtrt_id, world.worker, [_disease(mdtrt_id, world.worker, 2, "K29.700")]))
    assert _visit(container, mdtrt_id).diagnoses == "J18.900|K29.700|E78.500"


def test_admission_change_refusals_store_nothing(container: Container, app_client: TestClient) -> None:
    world, his = his_world(container, app_client)
    mdtrt_id = admission(his, world.worker)
    before = _visit(container, mdtrt_id).diagnoses
    his.refused("2403", _change(mdtrt_id, world.worker, [], med_type="11"), "MED_TYPE_KIND")
    bad = [_disease(mdtrt_id, world.worker, 2, "XX9.999")]
    message = his.refused("2403", _change(mdtrt_id, world.worker, bad), "ICD_UNKNOWN")
    assert "diseinfo[0].diag_code" in message
    his.ok("2301", {"feedetail": [fee_row("1", mdtrt_id, world.worker, "ZL001", "30.00")]})
    late = _change(mdtrt_id, world.worker, [], begntime="2024-03-02 08:00:00")
    his.refused("2403", late, "FEE_TIME_RANGE")  # a line of 03-01 would fall before the new begin
    his.ok("2304", settle_data(world.worker, mdtrt_id, "30.00", med_type="2101"))
    his.refused("2403", _change(mdtrt_id, world.worker, []), "VISIT_SETTLED")
    assert _visit(container, mdtrt_id).diagnoses == before


def test_discharge_undo_reopens_the_visit_until_settled(container: Container, app_client: TestClient) -> None:
    world, his = his_world(container, app_client)
    mdtrt_id = admission(his, world.worker)
    keys = {"data": {"mdtrt_id": mdtrt_id, "psn_no": world.worker}}
    his.refused("2405", keys, "NOT_DISCHARGED")
    dscg = {
        "dscginfo": {
            "mdtrt_id": mdtrt_id,
            "psn_no": world.worker,
            "insutype": "310",
            "endtime": "2024-03-05 10:00:00",
            "dscg_way": "1",
        },
        "diseinfo": [],
    }
    his.ok("2402", dscg)
    his.ok("2405", keys)
    visit = _visit(container, mdtrt_id)
    assert (visit.status, visit.endtime) == ("open", None)
    his.ok("2402", dscg)
    his.ok("2301", {"feedetail": [fee_row("1", mdtrt_id, world.worker, "ZL001", "30.00")]})
    out = his.ok("2304", settle_data(world.worker, mdtrt_id, "30.00", med_type="2101"))
    assert out["setlinfo"]["medfee_sumamt"] == Decimal("30.00")
    his.refused("2405", keys, "VISIT_SETTLED")


def test_outpatient_visit_upload_stores_diagnoses_and_medical_type(
    container: Container, app_client: TestClient
) -> None:
    world, his = his_world(container, app_client)
    mdtrt_id = register(his, world.worker)
    info = {"mdtrt_id": mdtrt_id, "psn_no": world.worker, "med_type": "13", "begntime": "2024-03-01 09:00:00"}
    rows = [
        {
            "diag_type": "1",
            "diag_srt_no": "2",
            "diag_code": "E11.900",
            "diag_name": "2型糖尿病",
            "vali_flag": "1",
        },
        {
            "diag_type": "1",
            "diag_srt_no": "1",
            "diag_code": "J18.900",
            "diag_name": "肺炎",
            "maindiag_flag": "1",
        },
    ]
    his.ok("2203", {"mdtrtinfo": info, "diseinfo": rows})
    visit = _visit(container, mdtrt_id)
    assert (visit.med_type, visit.diagnoses) == ("13", "J18.900|E11.900")
    his.refused("2203", {"mdtrtinfo": info | {"med_type": "2101"}, "diseinfo": rows}, "MED_TYPE_KIND")
    assert _visit(container, mdtrt_id).med_type == "13"
