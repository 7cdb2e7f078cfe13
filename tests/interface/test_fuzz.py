"""Fuzzing of the envelope and of a transaction's input: never a 500, nothing stored on refusal."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.interface.helpers import ENDPOINT, fee_row, his_world
from tests.interface.scenario import register
from yibao.bootstrap import Container
from yibao.interface.models import Message
from yibao.settlement.models import FeeLine, Settlement, Visit

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
