"""2406 就医特殊属性上传 and 2407 就医特殊属性查询 through the envelope."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.interface.helpers import clinic_his, his_world
from tests.interface.scenario import admission
from tests.settlement.helpers import person_id
from yibao.bootstrap import Container
from yibao.interface.models import VisitSpecialFlag

PAGING = {"page_num": "1", "page_size": "10"}


def _flag(mdtrt_id: str, psn_no: str, **extra: Any) -> dict[str, Any]:
    data = {
        "mdtrt_id": mdtrt_id,
        "psn_no": psn_no,
        "psn_cert_type": "01",
        "certno": person_id(1),
        "psn_name": "张职工",
        "ipt_otp_no": "ZY0001",
        "ipt_psn_sp_flag_type": "01",
        "ipt_psn_sp_flag": "A1",
        "memo": "转诊入院",
    }
    return {"data": data | extra}


def _stored(container: Container) -> int:
    with container.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(VisitSpecialFlag)) or 0)


def test_a_flag_is_stored_once_and_found_by_its_filters(container: Container, app_client: TestClient) -> None:
    world, his = his_world(container, app_client)
    mdtrt_id = admission(his, world.worker)
    first = his.ok("2406", _flag(mdtrt_id, world.worker))["IptPsnSpFlagRegOut"]["ipt_psn_sp_flag_detl_id"]
    again = his.ok("2406", _flag(mdtrt_id, world.worker))["IptPsnSpFlagRegOut"]["ipt_psn_sp_flag_detl_id"]
    assert again == first and _stored(container) == 1  # the same flag twice: one row, one id
    his.ok("2406", _flag(mdtrt_id, world.worker, ipt_psn_sp_flag="B2"))
    found = his.ok("2407", {"data": PAGING | {"mdtrt_id": mdtrt_id}})
    assert found["recordCounts"] == Decimal(2)
    assert [(r["ipt_psn_sp_flag"], r["certno"], r["psn_name"]) for r in found["IptPsnSpFlagReg"]] == [
        ("A1", person_id(1), "张职工"),
        ("B2", person_id(1), "张职工"),
    ]
    one = his.ok("2407", {"data": PAGING | {"ipt_psn_sp_flag_detl_id": first}})["IptPsnSpFlagReg"]
    assert [(r["ipt_psn_sp_flag_type"], r["memo"], r["admdvs"]) for r in one] == [
        ("01", "转诊入院", "439901")
    ]
    by_name = his.ok("2407", {"data": PAGING | {"psn_name": "张职工", "ipt_psn_sp_flag": "B2"}})
    assert len(by_name["IptPsnSpFlagReg"]) == 1
    assert his.ok("2407", {"data": PAGING | {"psn_name": "李居民"}})["IptPsnSpFlagReg"] == []


def test_refusals_store_nothing(container: Container, app_client: TestClient) -> None:
    """The person must be the visit's (number, ID, name), the visit this institution's, the codes short;
    another institution neither uploads to the visit nor reads its flags."""
    world, his = his_world(container, app_client)
    mdtrt_id = admission(his, world.worker)
    his.refused("2406", _flag(mdtrt_id, world.resident), "PSN_MISMATCH")
    his.refused("2406", _flag(mdtrt_id, world.worker, certno=person_id(2)), "PSN_MISMATCH")
    his.refused("2406", _flag(mdtrt_id, world.worker, psn_name="王五"), "PSN_MISMATCH")
    his.refused("2406", _flag(mdtrt_id, world.worker, psn_cert_type="ZZ"), "DICT_CODE")
    his.refused("2406", _flag(mdtrt_id, world.worker, ipt_psn_sp_flag="TOOLONG"), "FIELD_LENGTH")
    his.refused("2406", _flag(mdtrt_id, world.worker, admdvs="110101"), "ADMDVS_MISMATCH")
    his.refused("2406", _flag("NOPE", world.worker), "VISIT_NOT_FOUND")
    clinic = clinic_his(container, app_client)
    clinic.refused("2406", _flag(mdtrt_id, world.worker), "VISIT_NOT_FOUND")
    assert _stored(container) == 0
    his.ok("2406", _flag(mdtrt_id, world.worker))
    assert clinic.ok("2407", {"data": PAGING})["IptPsnSpFlagReg"] == []
    clinic.refused("2407", {"data": PAGING | {"fixmedins_code": "H43990100001"}}, "AUTH_INSTITUTION")
    his.refused("2407", {"data": {"page_num": "0", "page_size": "10"}}, "FIELD_NUMBER")
