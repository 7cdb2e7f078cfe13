"""Export of the settled data from the REST API and the console: the generated folder of the export folder,
the rows per table, the past exports, the ZIP download and the rule library run on a finished export."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.factories import login
from tests.knowledge import load_knowledge
from tests.monitoring.test_export import OVER_CAP, _settle_stay
from tests.settlement.helpers import World, build_world
from yibao.audit.models import AuditEntry
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.monitoring.export import EXPORTED
from yibao.staff import service as staff

_E = "/api/v1/monitoring/exports"
MARCH = {"admdvs": "439901", "begin": "2024-03-01", "end": "2024-03-31"}


@pytest.fixture
def world(container: Container) -> World:
    made = build_world(container, account_fen=0)
    load_knowledge(container)
    return made


@pytest.fixture
def export_dir(container: Container, tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    container.settings.export_dir = folder
    return folder


def _audit_count(container: Container) -> int:
    with container.uow(SYSTEM) as uow:
        return (
            uow.session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "monitoring.export")
            )
            or 0
        )


def test_api_exports_a_settled_month_into_a_generated_folder_with_the_rows_per_table(
    app_client: TestClient,
    admin_headers: dict[str, str],
    container: Container,
    world: World,
    export_dir: Path,
) -> None:
    """One stay in March (3 × 20.00 诊查费 and 10 × 2.00 of a drug capped at 1.50), one in April outside."""
    mdtrt_id = _settle_stay(container, world.worker, "2024-03-04", "2.00")
    _settle_stay(container, world.resident, "2024-04-08", "1.50")
    made = app_client.post(_E, headers=admin_headers, json=MARCH)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["name"].startswith("export-439901-20240301-20240331-") and body["available"] is True
    assert body["rows"] == {
        "mdtrt_d": 1,
        "setl_d": 1,
        "fee_list_d": 2,
        "setl_list_diag_d": 1,
        "setl_list_oprn_d": 0,
        "fixmedins_b": 1,
        "ward_round_d": 0,
        "identity_check_d": 0,
    }
    folder = export_dir / body["name"]
    assert [r["mdtrt_id"] for r in pq.read_table(folder / "mdtrt_d.parquet").to_pylist()] == [mdtrt_id]
    listed = app_client.get(_E, headers=admin_headers).json()
    assert listed["total"] == 1 and listed["items"][0]["name"] == body["name"]
    assert listed["items"][0]["rows"]["fee_list_d"] == 2

    download = app_client.get(f"{_E}/{body['name']}/download", headers=admin_headers)
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    assert sorted(archive.namelist()) == sorted(f"{t}.parquet" for t in EXPORTED)
    fees = pq.read_table(io.BytesIO(archive.read("fee_list_d.parquet")))
    assert fees.num_rows == 2
    assert (
        app_client.get(
            f"{_E}/export-439901-20240301-20240331-20000101000000/download", headers=admin_headers
        ).status_code
        == 404
    )
    assert app_client.get(f"{_E}/..%2F..%2Fetc/download", headers=admin_headers).status_code == 404

    run = app_client.post("/api/v1/monitoring/runs", headers=admin_headers, json={"export": body["name"]})
    assert run.status_code == 201, run.text
    assert run.json()["data_dir"] == str(folder.resolve())
    findings = app_client.get(
        f"/api/v1/monitoring/runs/{run.json()['run_no']}/findings?rule_id={OVER_CAP}", headers=admin_headers
    ).json()
    assert [(f["mdtrt_id"], f["bkkp_sn"]) for f in findings["items"]] == [(mdtrt_id, f"{mdtrt_id}-2")]
    unknown = app_client.post("/api/v1/monitoring/runs", headers=admin_headers, json={"export": "../x"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "EXPORT_NOT_FOUND"
    neither = app_client.post("/api/v1/monitoring/runs", headers=admin_headers, json={})
    assert neither.status_code == 422 and neither.json()["error"]["code"] == "DATA_DIR"


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ({**MARCH, "admdvs": "43990"}, "ADMDVS_FORMAT", "admdvs"),
        ({**MARCH, "begin": "2024-04-01"}, "PERIOD", "end"),
        ({**MARCH, "begin": "2024/03/01"}, "DATE_FORMAT", "begin"),
        ({**MARCH, "begin": "2023-01-01", "end": "2024-03-31"}, "EXPORT_PERIOD_TOO_LONG", "end"),
    ],
)
def test_api_refuses_bad_input_naming_the_field_and_writes_nothing(
    app_client: TestClient,
    admin_headers: dict[str, str],
    container: Container,
    export_dir: Path,
    payload: dict[str, str],
    code: str,
    field: str,
) -> None:
    answer = app_client.post(_E, headers=admin_headers, json=payload)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == code and error["field"] == field and field in error["message"]
    assert _audit_count(container) == 0 and not export_dir.exists()


def test_a_year_is_the_longest_period_and_is_accepted(
    app_client: TestClient, admin_headers: dict[str, str], container: Container, export_dir: Path
) -> None:
    """Clean twin of the refused 15 months: 2024 (366 days) exports, empty but with every table."""
    answer = app_client.post(
        _E, headers=admin_headers, json={**MARCH, "begin": "2024-01-01", "end": "2024-12-31"}
    )
    assert answer.status_code == 201, answer.text
    assert set(answer.json()["rows"]) == set(EXPORTED) and sum(answer.json()["rows"].values()) == 0
    assert sorted(p.name for p in (export_dir / answer.json()["name"]).iterdir()) == sorted(
        f"{t}.parquet" for t in EXPORTED
    )


def test_a_user_of_another_region_is_refused_and_sees_no_export(
    app_client: TestClient,
    admin_headers: dict[str, str],
    container: Container,
    world: World,
    export_dir: Path,
) -> None:
    _settle_stay(container, world.worker, "2024-03-04", "2.00")
    name = app_client.post(_E, headers=admin_headers, json=MARCH).json()["name"]
    with container.uow(SYSTEM) as uow:
        staff.create_user(
            uow=uow,
            username="neighbour",
            password="user-pass-123",
            display_name="邻市稽核",
            roles=["supervisor"],
            regions=["439902"],
        )
    other = login(app_client, "neighbour", "user-pass-123")
    refused = app_client.post(_E, headers=other, json=MARCH)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "AUTH_REGION"
    assert app_client.get(_E, headers=other).json()["total"] == 0
    assert app_client.get(f"{_E}/{name}/download", headers=other).status_code == 404
    assert _audit_count(container) == 1 and [p.name for p in export_dir.iterdir()] == [name]


def _console(app_client: TestClient, container: Container) -> TestClient:
    with container.uow() as uow:
        staff.ensure_admin(uow=uow, username="admin", password="admin-pass-123")
    response = app_client.post(
        "/console/login", data={"username": "admin", "password": "admin-pass-123"}, follow_redirects=False
    )
    assert response.status_code == 303
    return app_client


def test_console_exports_page_form_download_and_run_on_the_export(
    app_client: TestClient, container: Container, world: World, export_dir: Path
) -> None:
    """The form exports March; the list shows its rows and a ZIP link; the run finds the over-cap line."""
    client = _console(app_client, container)
    mdtrt_id = _settle_stay(container, world.worker, "2024-03-04", "2.00")
    page = client.get("/console/monitoring/exports")
    assert page.status_code == 200 and "业务数据导出" in page.text and 'id="export-form"' in page.text
    assert "暂无导出" in page.text

    bad = client.post("/console/monitoring/exports", data={**MARCH, "begin": "2024-04-01"})
    assert bad.status_code == 422 and "字段 end" in bad.text and not export_dir.exists()

    done = client.post("/console/monitoring/exports", data=MARCH, follow_redirects=False)
    assert done.status_code == 303, done.text
    name = done.headers["location"].split("done=")[1]
    listed = client.get(done.headers["location"])
    assert name in listed.text and f"/console/monitoring/exports/{name}.zip" in listed.text
    download = client.get(f"/console/monitoring/exports/{name}.zip")
    assert download.status_code == 200
    assert len(zipfile.ZipFile(io.BytesIO(download.content)).namelist()) == len(EXPORTED)
    assert (
        client.get(
            "/console/monitoring/exports/export-439901-20240301-20240331-20000101000000.zip"
        ).status_code
        == 404
    )

    runs = client.get("/console/monitoring/runs")
    assert f'<option value="{name}"' in runs.text
    started = client.post(
        "/console/monitoring/runs",
        data={"export": name, "admdvs": "439901", "engine": "duckdb"},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    run = client.get(started.headers["location"] + f"?rule_id={OVER_CAP}")
    assert run.status_code == 200 and mdtrt_id in run.text
