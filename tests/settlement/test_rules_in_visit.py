"""In-visit monitoring (智能监控 事中) inside pre-settlement and settlement: warnings are shown and never
block, unless the region sets a rule to block (拦截); then the settlement is refused and nothing written."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.interface.helpers import fee_row, his_world
from tests.interface.scenario import register, settle_data
from tests.knowledge import load_knowledge
from tests.settlement.helpers import World, build_world, fee, open_visit, request_id
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.domain.errors import BusinessError
from yibao.monitoring import service as monitoring
from yibao.settlement import service
from yibao.settlement.models import Settlement

OVER_CAP = "GZ10000102001000"  # 超限定单价收费


@pytest.fixture
def world(container: Container) -> World:
    built = build_world(container, account_fen=0)
    load_knowledge(container)
    return built


def _visit(container: Container, world: World, price: str) -> str:
    """A drug of cap 1.50 yuan billed 10 × `price` (乙类 YP001)."""
    mdtrt_id = open_visit(container, world.worker, med_type="11")
    with container.uow(SYSTEM) as uow:
        service.upload_fees(uow=uow, mdtrt_id=mdtrt_id, fees=[fee("1", "YP001", price, cnt="10")])
    return mdtrt_id


def _block_over_cap(container: Container) -> None:
    with container.uow(SYSTEM) as uow:
        monitoring.set_rule(
            uow=uow,
            admdvs="439901",
            rule_id=OVER_CAP,
            enabled=True,
            params={"blocking": True},
            begin=date(2024, 1, 1),
        )


def _settlements(container: Container) -> int:
    with container.uow(SYSTEM) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Settlement)) or 0)


def test_pre_settlement_shows_the_over_cap_warning_and_settlement_goes_ahead(
    container: Container, world: World
) -> None:
    mdtrt_id = _visit(container, world, "2.00")
    with container.uow(SYSTEM) as uow:
        quote = service.quote(uow=uow, mdtrt_id=mdtrt_id)
    [hit] = [f for f in quote.findings if f.rule_id == OVER_CAP]
    assert (hit.sn, hit.vola_fen, hit.blocking) == ("1", 500, False)  # 10 × (2.00 − 1.50) yuan
    assert quote.blocked is False
    assert quote.breakdown.overlmt_selfpay == 500  # the same fen the split strips above the cap
    with container.uow(SYSTEM) as uow:
        service.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id())
    assert _settlements(container) == 1


def test_a_rule_the_region_sets_to_block_refuses_the_settlement_and_writes_nothing(
    container: Container, world: World
) -> None:
    _block_over_cap(container)
    mdtrt_id = _visit(container, world, "2.00")
    with container.uow(SYSTEM) as uow:
        assert service.quote(uow=uow, mdtrt_id=mdtrt_id).blocked is True
    with container.uow(SYSTEM) as uow, pytest.raises(BusinessError) as refused:
        service.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id())
    assert refused.value.code == "RULE_BLOCKED" and OVER_CAP in refused.value.message
    assert _settlements(container) == 0


def test_clean_twin_within_the_cap_settles_although_the_rule_blocks(
    container: Container, world: World
) -> None:
    _block_over_cap(container)
    mdtrt_id = _visit(container, world, "1.50")
    with container.uow(SYSTEM) as uow:
        quote = service.quote(uow=uow, mdtrt_id=mdtrt_id)
    assert [f for f in quote.findings if f.rule_id == OVER_CAP] == [] and not quote.blocked
    with container.uow(SYSTEM) as uow:
        service.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id())
    assert _settlements(container) == 1


def test_blocking_must_be_true_or_false(container: Container, world: World) -> None:
    with container.uow(SYSTEM) as uow, pytest.raises(BusinessError) as refused:
        monitoring.set_rule(
            uow=uow,
            admdvs="439901",
            rule_id=OVER_CAP,
            enabled=True,
            params={"blocking": "yes"},
            begin=date(2024, 1, 1),
        )
    assert refused.value.code == "RULE_PARAM_TYPE" and refused.value.field == "params.blocking"


def test_the_pre_settlement_api_lists_the_warnings(
    container: Container, world: World, app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    mdtrt_id = _visit(container, world, "2.00")
    body = app_client.post(f"/api/v1/visits/{mdtrt_id}/pre-settlement", headers=admin_headers).json()
    [hit] = [w for w in body["warnings"] if w["rule_id"] == OVER_CAP]
    assert (hit["sn"], hit["vola_amt"], hit["sev_deg"], hit["blocking"]) == ("1", 500, "1", False)
    assert body["blocked"] is False


def test_2206_carries_the_rule_warnings_in_warn_msg(container: Container, app_client: TestClient) -> None:
    world, his = his_world(container, app_client)
    load_knowledge(container)
    mdtrt_id = register(his, world.worker)
    his.ok("2204", {"feedetail": [fee_row("1", mdtrt_id, world.worker, "YP001", "2.00", cnt="10")]})
    his.ok("2206", settle_data(world.worker, mdtrt_id, "20.00"))
    answer = his.log[-1]
    assert answer["infcode"] == 0 and f"[{OVER_CAP}]" in answer["warn_msg"]
    his.ok("2207", settle_data(world.worker, mdtrt_id, "20.00"))
    assert his.log[-1]["warn_msg"] is None  # the settlement answers no warnings: they were shown before
