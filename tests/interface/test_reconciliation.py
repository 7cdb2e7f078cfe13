"""3201/3202 daily reconciliation: balanced totals, an injected mismatch found and reported."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.interface.helpers import His, fee_row, his_world
from tests.interface.scenario import register, settle_data
from yibao.bootstrap import Container
from yibao.core.clock import LOCAL_TZ
from yibao.interface.models import Reconciliation


def _settle(his: His, psn_no: str, price: str) -> dict[str, Any]:
    mdtrt_id = register(his, psn_no)
    his.ok("2204", {"feedetail": [fee_row("1", mdtrt_id, psn_no, "ZL001", price)]})
    return dict(his.ok("2207", settle_data(psn_no, mdtrt_id, price))["setlinfo"])


def _totals(rows: list[dict[str, Any]], **override: Any) -> dict[str, Any]:
    today = datetime.now(LOCAL_TZ).date().isoformat()
    data = {
        "insutype": "310",
        "clr_type": "11",
        "setl_optins": "439901",
        "stmt_begndate": today,
        "stmt_enddate": today,
        "medfee_sumamt": str(sum(Decimal(r["medfee_sumamt"]) for r in rows)),
        "fund_pay_sumamt": str(sum(Decimal(r["fund_pay_sumamt"]) for r in rows)),
        "acct_pay": str(sum(Decimal(r["acct_pay"]) for r in rows)),
        "fixmedins_setl_cnt": len(rows),
        "fixmedins_refd_setl_flag": "0",
    }
    return {"data": data | override}


def test_balanced_totals_answer_stmt_rslt_0(container: Container, app_client: TestClient) -> None:
    world, his = his_world(container, app_client)
    rows = [_settle(his, world.worker, "600.00"), _settle(his, world.worker, "30.00")]
    info = his.ok("3201", _totals(rows))["stmtinfo"]
    assert info["stmt_rslt"] == "0"


def test_an_injected_mismatch_is_found_and_reported(container: Container, app_client: TestClient) -> None:
    world, his = his_world(container, app_client)
    rows = [_settle(his, world.worker, "600.00"), _settle(his, world.worker, "30.00")]
    wrong = _totals(rows, fixmedins_setl_cnt=3, medfee_sumamt="631.00")
    info = his.ok("3201", wrong)["stmtinfo"]
    assert info["stmt_rslt"] == "1"
    assert "medfee_sumamt" in info["stmt_rslt_dscr"] and "fixmedins_setl_cnt" in info["stmt_rslt_dscr"]
    with container.uow() as uow:
        stored = uow.session.scalars(select(Reconciliation)).one()
    assert (stored.stmt_rslt, stored.their_count, stored.our_count) == ("1", 3, 2)
    assert (stored.their_medfee_sumamt, stored.our_medfee_sumamt) == (63100, 63000)


def test_detail_reconciliation_names_the_settlement_that_differs(
    container: Container, app_client: TestClient
) -> None:
    world, his = his_world(container, app_client)
    first, second = _settle(his, world.worker, "600.00"), _settle(his, world.worker, "30.00")
    detail = [
        {k: r[k] for k in ("setl_id", "mdtrt_id", "psn_no", "medfee_sumamt", "fund_pay_sumamt", "acct_pay")}
        | {"refd_setl_flag": "0"}
        for r in (first,)
    ]
    data = _totals([first, second])
    data["data"] |= {"file_qury_no": "F001", "cash_payamt": "0", "detail": detail}
    out = his.ok("3202", data)
    assert out["stmt_rslt"] == "1"
    by_id = {row["setl_id"]: row for row in out["detail"]}
    assert by_id[first["setl_id"]]["stmt_rslt"] == "0"
    assert by_id[second["setl_id"]]["stmt_rslt"] == "1" and "未报送" in by_id[second["setl_id"]]["memo"]
    assert out["fileinfo"]["file_qury_no"] != "F001"  # the result file to fetch by 9102


def test_a_period_longer_than_a_month_is_refused(container: Container, app_client: TestClient) -> None:
    _world, his = his_world(container, app_client)
    data = _totals([], stmt_begndate="2024-01-01", stmt_enddate="2024-03-01")
    assert "stmt_enddate" in his.refused("3201", data, "STMT_PERIOD")
