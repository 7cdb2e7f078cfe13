"""Fuzzing of the envelope and of a transaction's input: never a 500, nothing stored on refusal."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.interface.helpers import ENDPOINT, fee_row, his_world
from tests.interface.scenario import admission, discharge_data, register
from tests.settlement.helpers import person_id
from yibao.bootstrap import Container
from yibao.interface.models import Message, VisitSpecialFlag
from yibao.settlement.models import FeeLine, Settlement, Visit, VisitProcedure

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(["null", "NULL", "", " ", "0000", "1.001", "-1", "2024-13-45 99:99:99", "\u0000"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
ENVELOPE_KEYS = [
    "infno",
    "msgid",
    "fixmedins_code",
    "sign_no",
    "inf_time",
    "input",
    "opter",
    "mdtrtarea_admvs",
]
LINE_KEYS = [
    "feedetl_sn",
    "mdtrt_id",
    "psn_no",
    "fee_ocur_time",
    "medins_list_codg",
    "det_item_fee_sumamt",
    "cnt",
    "pric",
]


def _counts(container: Container) -> tuple[int, ...]:
    with container.uow() as uow:
        return tuple(
            int(uow.session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Message, FeeLine, Visit, Settlement)
        )


def test_fuzzed_envelopes_never_fail_and_refusals_store_nothing(
    container: Container, app_client: TestClient
) -> None:
    world, his = his_world(container, app_client)
    mdtrt_id = register(his, world.worker)

    @settings(
        max_examples=120,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        envelope_changes=st.dictionaries(st.sampled_from(ENVELOPE_KEYS), VALUES, max_size=2),
        line_changes=st.dictionaries(st.sampled_from(LINE_KEYS), VALUES, max_size=3),
        sn=st.text(alphabet="0123456789ABC", min_size=1, max_size=8),
        raw=st.one_of(st.none(), VALUES),
    )
    def run(envelope_changes: dict[str, Any], line_changes: dict[str, Any], sn: str, raw: Any) -> None:
        row = fee_row(sn, mdtrt_id, world.worker, "ZL001", "3.00") | line_changes
        body: Any = his.envelope("2204", {"feedetail": [row]}) | envelope_changes
        if raw is not None and not envelope_changes and not line_changes:
            body = raw
        before = _counts(container)
        response = app_client.post(ENDPOINT, content=json.dumps(body), headers=his.headers())
        assert response.status_code == 200
        answer = response.json()
        assert answer["infcode"] in (0, -1)
        if answer["infcode"] == -1:
            assert answer["err_msg"].startswith("[") and not answer["err_msg"].startswith("[SYSTEM_ERROR]"), (
                answer
            )
            assert _counts(container) == before
        else:
            assert answer["output"]["result"]

    run()


PROCEDURE_KEYS = ["oprn_oprt_code", "oprn_oprt_name", "main_oprn_flag", "oprn_oprt_type", "oprn_oprt_date",
                  "oprn_oprt_begntime", "vali_flag"]  # fmt: skip
FLAG_KEYS = ["mdtrt_id", "psn_no", "psn_cert_type", "certno", "psn_name", "ipt_otp_no",
             "ipt_psn_sp_flag_type", "ipt_psn_sp_flag", "admdvs", "memo"]  # fmt: skip


def _discharge_counts(container: Container) -> tuple[int, ...]:
    with container.uow() as uow:
        return tuple(
            int(uow.session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Message, VisitProcedure, VisitSpecialFlag)
        )


def test_fuzzed_procedures_and_visit_flags_never_fail(container: Container, app_client: TestClient) -> None:
    """2402 with fuzzed oprninfo rows and dscginfo procedure, 2406 with fuzzed fields: never a 500, and a
    refusal stores neither a message, a procedure nor a flag."""
    world, his = his_world(container, app_client)
    mdtrt_id = admission(his, world.worker)

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        infno=st.sampled_from(["2402", "2406"]),
        changes=st.dictionaries(st.sampled_from(PROCEDURE_KEYS + FLAG_KEYS), VALUES, max_size=3),
        rows=st.integers(min_value=0, max_value=3),
    )
    def run(infno: str, changes: dict[str, Any], rows: int) -> None:
        if infno == "2402":
            row = {"oprn_oprt_code": "36.0601", "oprn_oprt_name": "支架", "main_oprn_flag": "0"} | {
                k: v for k, v in changes.items() if k in PROCEDURE_KEYS
            }
            data: dict[str, Any] = discharge_data(
                mdtrt_id, world.worker, [row] * rows, oprn_oprt_code=changes.get("oprn_oprt_code", "88.5101")
            )
        else:
            flag = {
                "mdtrt_id": mdtrt_id,
                "psn_no": world.worker,
                "psn_cert_type": "01",
                "certno": person_id(1),
                "psn_name": "张职工",
                "ipt_otp_no": "ZY0001",
                "ipt_psn_sp_flag_type": "01",
                "ipt_psn_sp_flag": "A1",
            }
            data = {"data": flag | {k: v for k, v in changes.items() if k in FLAG_KEYS}}
        before = _discharge_counts(container)
        response = app_client.post(
            ENDPOINT, content=json.dumps(his.envelope(infno, data)), headers=his.headers()
        )
        assert response.status_code == 200
        answer = response.json()
        assert answer["infcode"] in (0, -1)
        if answer["infcode"] == -1:
            assert not answer["err_msg"].startswith("[SYSTEM_ERROR]"), answer
            assert _discharge_counts(container) == before

    run()
