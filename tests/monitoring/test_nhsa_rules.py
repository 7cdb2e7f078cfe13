"""3101/3102 through the national interface: in-visit rules answer rule_id, rule_name, vola_amt, sev_deg."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from tests.interface.helpers import his_world
from tests.knowledge import load_knowledge
from yibao.bootstrap import Container

SEX_DRUG = "XL02BBA326A001010102180"  # 阿帕他胺片, 限男性


def _data(gend: str, *, trig_scen: str = "1", rule_ids: Any = None) -> dict[str, Any]:
    order = {
        "rx_id": "RX1", "rxno": "1", "long_drord_flag": "0", "hilist_type": "101", "chrg_type": "09",
        "hilist_code": SEX_DRUG, "hilist_name": "阿帕他胺片", "hilist_lv": "02", "hilist_pric": "25.00",
        "hosplist_code": "H-1", "hosplist_name": "阿帕他胺片", "cnt": "2", "pric": "25.00", "sumamt": "50.00",
        "ownpay_amt": "0", "selfpay_amt": "0", "spec": "60mg×30片", "spec_unt": "盒",
        "drord_begn_date": "2024-03-01 09:00:00", "drord_dept_codg": "A03", "drord_dept_name": "内科",
        "drord_dr_codg": "D1", "drord_dr_name": "医生", "drord_dr_profttl": "1", "curr_drord_flag": "1",
    }  # fmt: skip
    encounter = {
        "mdtrt_id": "M1", "medins_id": "H43990100001", "medins_name": "医院", "medins_admdvs": "439901",
        "medins_type": "1", "medins_lv": "2", "adm_date": "2024-03-01 08:00:00", "dscg_date": "",
        "dscg_main_dise_codg": "I10.x00x002", "dscg_main_dise_name": "高血压", "dr_codg": "D1",
        "adm_dept_codg": "A03", "adm_dept_name": "内科", "dscg_dept_codg": "A03", "dscg_dept_name": "内科",
        "med_mdtrt_type": "1", "med_type": "11", "matn_stas": "0", "medfee_sumamt": "50.00",
        "ownpay_amt": "0",
        "selfpay_amt": "0", "setl_totlnum": "0", "insutype": "310", "reim_flag": "1", "out_setl_flag": "0",
        "fsi_diagnose_dtos": [
            {"dise_id": "1", "inout_dise_type": "1", "maindise_flag": "1", "dias_srt_no": "1",
             "dise_codg": "I10.x00x002", "dise_name": "高血压", "dise_date": "2024-03-01 08:00:00"},
        ],
        "fsi_order_dtos": [order],
    }  # fmt: skip
    patient = {
        "patn_id": "P1", "patn_name": "张三", "gend": gend, "brdy": "1980-01-01", "poolarea": "439901",
        "curr_mdtrt_id": "M1", "fsi_encounter_dtos": [encounter],
    }  # fmt: skip
    data: dict[str, Any] = {"patient_dtos": patient, "trig_scen": trig_scen}
    if rule_ids is not None:
        data["rule_ids"] = rule_ids
    return {"data": data}


def test_3101_answers_the_violation_with_its_line(container: Container, app_client: TestClient) -> None:
    _world, his = his_world(container, app_client)
    load_knowledge(container)
    out = his.ok("3101", _data("2"))
    [hit] = out["result"]
    assert (hit["rule_id"], hit["rule_name"], hit["sev_deg"]) == ("GZ10000301004000", "药品区分性别使用", "1")
    assert Decimal(str(hit["vola_amt"])) == Decimal("50.00")
    assert hit["judge_result_detail_dtos"][0]["rx_id"] == "RX1" and hit["vola_bhvr_type"] == "2"
    assert "限男性" in hit["vola_cont"]


def test_3102_clean_twin_has_no_violation(container: Container, app_client: TestClient) -> None:
    _world, his = his_world(container, app_client)
    load_knowledge(container)
    assert his.ok("3102", _data("1"))["result"] == []


def test_rule_ids_restrict_and_unknown_rule_ids_are_refused(
    container: Container, app_client: TestClient
) -> None:
    _world, his = his_world(container, app_client)
    load_knowledge(container)
    assert his.ok("3101", _data("2", rule_ids=["GZ10000102014000"]))["result"] == []
    message = his.refused("3101", _data("2", rule_ids="NOPE"), "RULE_NOT_FOUND")
    assert "rule_ids" in message
    his.refused("3102", {"data": {"trig_scen": "1"}}, "FIELD_NODE")
