"""Indicator charts and focus institutions of a run, and a batch run started from the console.

The data set is small enough to compute every figure by hand: institution H1 has two visits in March
(100.00 and 300.00 yuan) and one in April (500.00); H2 one visit in March (50.00).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from tests.monitoring.builder import DataBuilder
from tests.monitoring.test_api_console import _signed_in
from tests.monitoring.test_rules import REFERENCE
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.domain.errors import BusinessError
from yibao.monitoring import indicators, service
from yibao.monitoring.console import default_out_dir


def _region(tmp: Path) -> Path:
    b = DataBuilder()
    b.visit("A1", med_type="11", begntime="2024-03-01 08:00:00", endtime=None, medfee="100.00")
    b.fee("A1", "XA10BAA001A001010100001", time="2024-03-01 09:00:00", pric="60.00", list_type="101")
    b.fee("A1", "004200000990000", time="2024-03-01 09:00:00", pric="40.00")
    b.visit("A2", psn_no="P2", med_type="11", begntime="2024-03-10 08:00:00", endtime=None, medfee="300.00")
    b.fee("A2", "004200000990000", time="2024-03-10 09:00:00", pric="300.00")
    b.visit("A3", med_type="11", begntime="2024-04-02 08:00:00", endtime=None, medfee="500.00")
    b.fee("A3", "004200000990000", time="2024-04-02 09:00:00", pric="500.00")
    b.visit("B1", psn_no="P3", fixmedins_code="H2", med_type="11", begntime="2024-03-05 08:00:00")
    b.rows["mdtrt_d"][-1]["endtime"] = None
    b.rows["setl_d"][-1]["medfee_sumamt"] = "50.00"
    b.fee("B1", "004200000990000", time="2024-03-05 09:00:00", pric="50.00")
    return b.write(tmp / "region")


def _run(container: Container, tmp: Path) -> str:
    with container.uow(SYSTEM) as uow:
        return service.run_batch(
            uow=uow,
            data_dir=_region(tmp),
            out_dir=tmp / "out",
            day=service.today(),
            reference_dir=REFERENCE,
        ).run_no


def test_cost_per_visit_by_month_shares_and_change_against_the_previous_month(
    container: Container, tmp_path: Path
) -> None:
    run_no = _run(container, tmp_path)
    with container.uow(SYSTEM) as uow:
        view = indicators.run_indicators(uow=uow, run_no=run_no)
    assert view.periods == ["2024-03", "2024-04"] and view.latest_period == "2024-04"
    assert view.units == ["H1", "H2"]  # most visits first: 3 and 1
    # H1: March (100.00 + 300.00) / 2 = 200.00, April 500.00; H2 only in March
    assert view.cost_per_visit == {"H1": ["200.00", "500.00"], "H2": ["50.00", None]}
    assert view.visits == {"H1": [2, 1], "H2": [1, None]}
    [april] = view.latest
    assert april["unit"] == "H1" and april["cost_per_visit"] == "500.00"
    assert april["cost_change"] == "150.0"  # (500 − 200) / 200
    assert april["visits_change"] == "-50.0"  # (1 − 2) / 2
    assert april["drug_share"] == "0.0" and april["admissions"] == 0
    assert view.focus == []  # no stays: nothing to rank


def test_peer_water_levels_are_nearest_rank_percentiles_in_whole_fen(
    container: Container, tmp_path: Path
) -> None:
    _run(container, tmp_path)
    rows = pq.read_table(tmp_path / "out" / "indicators.parquet").to_pylist()
    march = {r["unit"]: r for r in rows if r["level"] == "institution" and r["period"] == "2024-03"}
    # two peers of the same level: 50.00 (H2) and 200.00 (H1); P50 is the 1st of 2, P90 the 2nd
    assert {u: (r["peers"], r["peer_p50_fen"], r["peer_p90_fen"]) for u, r in march.items()} == {
        "H1": (2, 5000, 20000),
        "H2": (2, 5000, 20000),
    }
    assert march["H1"]["peer_percentile_pct"] == 100 and march["H2"]["peer_percentile_pct"] == 0
    april = [r for r in rows if r["level"] == "institution" and r["period"] == "2024-04"]
    assert [(r["unit"], r["peers"], r["peer_percentile_pct"], r["peer_p50_fen"]) for r in april] == [
        ("H1", 1, 0, 50000)
    ]


def test_department_and_doctor_levels_and_a_bad_level(container: Container, tmp_path: Path) -> None:
    run_no = _run(container, tmp_path)
    with container.uow(SYSTEM) as uow:
        department = indicators.run_indicators(uow=uow, run_no=run_no, level="department")
        doctor = indicators.run_indicators(uow=uow, run_no=run_no, level="doctor")
        with pytest.raises(BusinessError) as refused:
            indicators.run_indicators(uow=uow, run_no=run_no, level="ward")
    assert department.units == ["H1/A03", "H2/A03"] and doctor.units == ["H1/D1", "H2/D1"]
    # March at H1/A03: drug 60.00 of 400.00 billed = 150‰ = 15.0%
    assert department.cost_per_visit["H1/A03"] == ["200.00", "500.00"]
    assert refused.value.code == "LEVEL" and "level" in refused.value.message


@pytest.mark.database_free
def test_share_is_exact_permille_and_change_rounds_half_up() -> None:
    assert indicators._percent(150) == "15.0" and indicators._percent(None) is None
    assert indicators._change(1, 3) == "-66.7" and indicators._change(5, 0) is None
    assert indicators._change(3, 2) == "50.0"


def test_console_indicator_page_and_focus_list(
    app_client: TestClient, container: Container, tmp_path: Path
) -> None:
    client = _signed_in(app_client, container)
    run_no = _run(container, tmp_path)
    page = client.get(f"/console/monitoring/runs/{run_no}/indicators")
    assert page.status_code == 200
    assert 'id="cost-chart"' in page.text and "echarts.min.js" in page.text
    assert '"200.00"' in page.text and "150.0%" in page.text  # chart data and the April row
    assert 'id="focus-empty"' in page.text
    assert client.get(f"/console/monitoring/runs/{run_no}/indicators?level=doctor").status_code == 200
    assert client.get(f"/console/monitoring/runs/{run_no}/indicators?level=ward").status_code == 422
    assert client.get("/console/monitoring/runs/R0/indicators").status_code == 404


def test_console_starts_a_run_and_refuses_a_missing_folder(
    app_client: TestClient, container: Container, tmp_path: Path
) -> None:
    client = _signed_in(app_client, container)
    data = _region(tmp_path)
    empty = client.post("/console/monitoring/runs", data={"data_dir": "", "engine": "duckdb"})
    assert empty.status_code == 422 and "data_dir" in empty.text
    missing = client.post("/console/monitoring/runs", data={"data_dir": str(tmp_path / "nope")})
    assert missing.status_code == 422 and "不存在" in missing.text
    engine = client.post("/console/monitoring/runs", data={"data_dir": str(data), "engine": "hadoop"})
    assert engine.status_code == 422 and "engine" in engine.text
    started = client.post(
        "/console/monitoring/runs",
        data={"data_dir": str(data), "out_dir": str(tmp_path / "console-out"), "engine": "duckdb"},
        follow_redirects=False,
    )
    assert started.status_code == 303
    run_no = started.headers["location"].rsplit("/", 1)[1]
    assert (tmp_path / "console-out" / "findings.parquet").exists()
    with container.uow(SYSTEM) as uow:
        assert service.get_run(uow=uow, run_no=run_no).data_dir == str(data.resolve())


@pytest.mark.database_free
def test_default_output_folder_is_beside_the_data_set() -> None:
    from datetime import datetime

    out = default_out_dir(Path("/data/region"), datetime(2024, 5, 6, 7, 8, 9))
    assert out == Path("/data/region_monitor_20240506070809")


def test_api_starts_a_run_reads_its_indicators_and_refuses_bad_folders(
    app_client: TestClient, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    data = _region(tmp_path)
    started = app_client.post(
        "/api/v1/monitoring/runs",
        headers=admin_headers,
        json={"data_dir": str(data), "out_dir": str(tmp_path / "api-out")},
    )
    assert started.status_code == 201, started.text
    run_no = started.json()["run_no"]
    answer = app_client.get(f"/api/v1/monitoring/runs/{run_no}/indicators", headers=admin_headers).json()
    assert answer["cost_per_visit"] == {"H1": ["200.00", "500.00"], "H2": ["50.00", None]}
    assert answer["latest"][0]["cost_change"] == "150.0" and answer["focus"] == []
    for bad in (str(tmp_path / "nope"), "x" * 300, "a\x00b"):
        refused = app_client.post(
            "/api/v1/monitoring/runs", headers=admin_headers, json={"data_dir": bad, "out_dir": "/tmp/x"}
        )
        assert refused.status_code == 422 and refused.json()["error"]["code"], refused.text
    level = app_client.get(f"/api/v1/monitoring/runs/{run_no}/indicators?level=ward", headers=admin_headers)
    assert level.status_code == 422 and level.json()["error"]["code"] == "LEVEL"
