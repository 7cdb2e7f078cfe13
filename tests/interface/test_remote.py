"""Cross-region patients (异地就医): the place of insurance (insuplc_admdvs) gives the person and the
benefits, the place of treatment (the institution's region) gives the catalog and its mappings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient

from tests.factories import add_region
from tests.interface.helpers import fee_row, his_world
from tests.interface.scenario import register, settle_data
from tests.settlement.helpers import EXAMPLES, person_id
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.enrolment import service as enrolment
from yibao.policy import service as policy

ELSEWHERE = "439902"


def _insured_elsewhere(container: Container) -> str:
    """外县 439902: an employee enrolled there, and its own employee policy: outpatient without a
    deductible and 80% at a 三级 hospital (示范市 439901: 500 yuan deductible, 50%)."""
    add_region(container, ELSEWHERE, "外县")
    text = (EXAMPLES / "439901-310-2024.toml").read_text(encoding="utf-8")
    text = text.replace('admdvs = "439901"', f'admdvs = "{ELSEWHERE}"')
    text = text.replace(
        'deductible = { "1" = 500, "2" = 500, "3" = 500 }', 'deductible = { "1" = 0, "2" = 0, "3" = 0 }'
    )
    text = text.replace(
        'ratio = { "1" = "0.70", "2" = "0.60", "3" = "0.50" }',
        'ratio = { "1" = "0.80", "2" = "0.80", "3" = "0.80" }',
    )
    with container.uow(SYSTEM) as uow:
        policy.load_policy(uow=uow, text=text, filename=f"{ELSEWHERE}-310-2024.toml")
    with container.uow(SYSTEM) as uow:
        person = enrolment.enrol(
            uow=uow,
            certno=person_id(7),
            name="王异地",
            admdvs=ELSEWHERE,
            insutype="310",
            psn_type="11",
            begin=date(2020, 1, 1),
        )
    return person.psn_no


def test_remote_patient_settles_with_the_benefits_of_the_place_of_insurance(
    container: Container, app_client: TestClient
) -> None:
    """600.00 甲类 service at the 三级 hospital of 439901: 439902's policy pays 80% = 480.00 (439901's
    own policy would pay (600 − 500) × 50% = 50.00); the line maps through the hospital's mapping."""
    world, his = his_world(container, app_client)
    psn_no = _insured_elsewhere(container)
    remote = {"insuplc_admdvs": ELSEWHERE}
    info = his.ok("1101", {"data": {"psn_no": psn_no}}, **remote)
    assert info["baseinfo"]["psn_name"] == "王异地"
    visit = {"psn_no": psn_no, "insutype": "310", "begntime": "2024-03-01 09:00:00", "ipt_otp_no": "MZ1"}
    mdtrt_id = str(his.ok("2201", {"data": visit}, **remote)["data"]["mdtrt_id"])
    his.ok("2204", {"feedetail": [fee_row("1", mdtrt_id, psn_no, "ZL001", "600.00")]}, **remote)
    out = his.ok("2207", settle_data(psn_no, mdtrt_id, "600.00"), **remote)["setlinfo"]
    assert out["hifp_pay"] == Decimal("480.00") and out["clr_optins"] == ELSEWHERE
    local = register(his, world.worker)
    his.ok("2204", {"feedetail": [fee_row("1", local, world.worker, "ZL001", "600.00")]})
    assert his.ok("2207", settle_data(world.worker, local, "600.00"))["setlinfo"]["hifp_pay"] == Decimal(
        "50.00"
    )


def test_remote_patient_is_refused_clearly_without_or_with_a_wrong_place_of_insurance(
    container: Container, app_client: TestClient
) -> None:
    _world, his = his_world(container, app_client)
    psn_no = _insured_elsewhere(container)
    message = his.refused("1101", {"data": {"psn_no": psn_no}}, "PERSON_NOT_FOUND")
    assert "insuplc_admdvs" in message and "439901" in message
    wrong = his.refused("1101", {"data": {"psn_no": psn_no}}, "PERSON_NOT_FOUND", insuplc_admdvs="439903")
    assert "参保地 439903" in wrong
    his.refused(
        "2201",
        {"data": {"psn_no": psn_no, "insutype": "310", "begntime": "2024-03-01 09:00:00", "ipt_otp_no": "1"}},
        "PERSON_NOT_FOUND",
    )
    his.refused("1101", {"data": {"psn_no": psn_no}}, "FIELD_FORMAT", insuplc_admdvs="43990X")
