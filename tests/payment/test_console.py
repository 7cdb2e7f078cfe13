"""Payment console pages over HTTP: overview, grouping with its reason path, tables, clearing statement."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from tests.factories import add_region
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.payment import service
from yibao.staff import service as staff


def _signed_in(app_client: TestClient, container: Container) -> TestClient:
    with container.uow() as uow:
        staff.ensure_admin(uow=uow, username="admin", password="admin-pass-123")
    response = app_client.post(
        "/console/login", data={"username": "admin", "password": "admin-pass-123"}, follow_redirects=False
    )
    assert response.status_code == 303
    return app_client


def test_pages_need_a_session(app_client: TestClient) -> None:
    for url in ("/console/payment", "/console/payment/group"):
        assert app_client.get(url, follow_redirects=False).status_code == 303


def test_grouping_page_shows_the_reason_path(app_client: TestClient, container: Container) -> None:
    client = _signed_in(app_client, container)
    page = client.get(
        "/console/payment/group", params={"gend": "1", "age": "65", "diag_codes": "I63.900|I50.900"}
    )
    assert page.status_code == 200
    assert "BR21" in page.text
    assert "严重并发症/合并症（MCC" in page.text
    assert 'id="reason-path"' in page.text
    english = client.get(
        "/console/payment/group", params={"lang": "en", "gend": "1", "age": "65", "diag_codes": "X99.999"}
    )
    assert "Reason path" in english.text and "DRG_DX_UNKNOWN" in english.text


def test_grouping_page_names_a_bad_field(app_client: TestClient, container: Container) -> None:
    client = _signed_in(app_client, container)
    page = client.get("/console/payment/group", params={"gend": "1", "age": "abc", "diag_codes": "I63.900"})
    assert page.status_code == 422
    assert "DRG_FIELD_INVALID" in page.text


def test_overview_table_and_clearing_statement(app_client: TestClient, container: Container) -> None:
    add_region(container)
    path = container.settings.reference_dir / "drg-payment" / "苏州2023.csv"
    with container.uow(SYSTEM) as uow:
        table = service.load_table(
            uow=uow,
            admdvs="439901",
            name="苏州2023",
            text=path.read_text("utf-8"),
            begin=date(2023, 1, 1),
            end=None,
        )
    client = _signed_in(app_client, container)
    overview = client.get("/console/payment")
    assert "苏州2023" in overview.text
    rows = client.get(f"/console/payment/tables/{table.id}", params={"q": "AA19"})
    assert "心脏移植" in rows.text
    run = client.post(
        "/console/payment/clearings",
        data={"admdvs": "439901", "period_kind": "month", "period": "2023-02"},
        follow_redirects=False,
    )
    assert run.status_code == 303
    statement = client.get(run.headers["location"])
    assert "清算单" in statement.text and 'id="balanced"' in statement.text and "合计" in statement.text
    assert 'id="pdf-link"' in statement.text
    pdf = client.get(run.headers["location"] + "/statement.pdf")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    bad = client.post(
        "/console/payment/clearings", data={"admdvs": "439901", "period_kind": "month", "period": "x"}
    )
    assert bad.status_code == 422 and "CLEARING_PERIOD" in bad.text
    assert client.get("/console/payment/clearings/99999").status_code == 404


def test_method_form_saves_a_method_and_names_bad_terms(app_client: TestClient, container: Container) -> None:
    """配置支付方式: a DIP row for one institution is stored; bad JSON, a missing term and an
    overlapping period are refused with the field named and nothing stored."""
    add_region(container)
    client = _signed_in(app_client, container)
    page = client.get("/console/payment/methods/new")
    assert page.status_code == 200 and 'id="method-form"' in page.text and "按病种分值付费 DIP" in page.text
    good = {
        "admdvs": "439901",
        "fixmedins_code": "H43990100001",
        "insutype": "",
        "method": "dip",
        "begin": "2025-01-01",
        "end": "",
        "params": '{"budget_fen": 850000000, "threshold": 15}',
    }
    saved = client.post("/console/payment/methods", data=good, follow_redirects=False)
    assert saved.status_code == 303
    assert "budget_fen" in client.get("/console/payment").text
    for bad, code, field in (
        ({**good, "params": "{budget_fen: 1"}, "PAYMENT_PARAMS_JSON", "err-params"),
        ({**good, "params": "{}"}, "PAYMENT_PARAM_MISSING", "err-params"),
        ({**good, "begin": "2025-13-01"}, "", "err-begin"),
        (good, "PAYMENT_METHOD_OVERLAP", "err-begin"),
    ):
        refused = client.post("/console/payment/methods", data=bad)
        assert refused.status_code in (409, 422), refused.text
        assert code in refused.text and f'id="{field}"' in refused.text
    with container.uow(SYSTEM) as uow:
        assert len(service.list_methods(uow=uow)) == 1


def test_table_form_loads_an_upload_and_a_published_table(
    app_client: TestClient, container: Container
) -> None:
    """导入付费标准: a CSV upload in GB18030 and a published table by name are stored as versions;
    a file that is not a table and an unknown published name are refused with the field."""
    add_region(container)
    client = _signed_in(app_client, container)
    assert 'id="f-reference"' in client.get("/console/payment/tables/new").text
    text = (container.settings.reference_dir / "drg-payment" / "苏州2023.csv").read_text("utf-8")
    loaded = client.post(
        "/console/payment/tables",
        data={"admdvs": "439901", "name": "本市2025", "begin": "2025-01-01", "end": "", "reference": ""},
        files={"file": ("本市2025.csv", text.encode("gb18030"), "text/csv")},
        follow_redirects=False,
    )
    assert loaded.status_code == 303, loaded.text
    assert "心脏移植" in client.get(loaded.headers["location"], params={"q": "AA19"}).text
    published = client.post(
        "/console/payment/tables",
        data={"admdvs": "439901", "reference": "北京2022", "name": "", "begin": "", "end": ""},
        follow_redirects=False,
    )
    assert published.status_code == 303
    with container.uow(SYSTEM) as uow:
        tables = {t.name: t for t in service.list_tables(uow=uow)}
    assert tables["北京2022"].begin == date(2022, 1, 1) and tables["北京2022"].end == date(2022, 12, 31)
    assert tables["本市2025"].source == "本市2025.csv"
    unknown = client.post(
        "/console/payment/tables", data={"admdvs": "439901", "reference": "火星2099", "begin": ""}
    )
    assert unknown.status_code == 422 and 'id="err-reference"' in unknown.text
    missing = client.post("/console/payment/tables", data={"admdvs": "439901", "reference": "", "begin": ""})
    assert missing.status_code == 422 and 'id="err-file"' in missing.text
    binary = client.post(
        "/console/payment/tables",
        data={"admdvs": "439901", "reference": "", "begin": "2026-01-01"},
        files={"file": ("x.csv", b"\xff\xfe\x00\x81\x00", "text/csv")},
    )
    assert binary.status_code == 422 and 'id="err-file"' in binary.text
    with container.uow(SYSTEM) as uow:
        assert len(service.list_tables(uow=uow)) == 2
