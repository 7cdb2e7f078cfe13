"""The main job at tiny size: every visit settled through the service; the summary matches the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
from sqlalchemy import create_engine, text

from yibao.domain.errors import conflict
from yibao.synthetic import report, service


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> service.DemoResult:
    folder = tmp_path_factory.mktemp("demo")
    knobs = service.check(persons=200, months=2, seed=3, admdvs="439901", visit_scale=1.0, rates=None)
    return service.run_demo(knobs=knobs, db_url=f"sqlite:///{folder}/demo.db", out=folder / "out")


def test_every_generated_visit_is_settled_through_the_service(demo: service.DemoResult) -> None:
    assert demo.counts["visits"] > 20
    assert demo.refused == {}
    assert demo.counts["settled"] == demo.counts["visits"]


def test_summary_reconciles_with_the_database(demo: service.DemoResult) -> None:
    engine = create_engine(demo.db_url)
    with engine.connect() as db:
        fund, medfee, count = db.execute(
            text("select sum(fund_pay_sumamt), sum(medfee_sumamt), count(*) from setl_settlement")
        ).one()
        fund_rows = db.execute(text("select sum(amount) from setl_settlement_fund")).scalar()
        income = db.execute(
            text("select sum(unit_fen + individual_fen + subsidy_fen) from enrol_contribution")
        ).scalar()
        persons = db.execute(text("select count(*) from enrol_person")).scalar()
    s = demo.summary
    assert s["expenditure"] == fund == fund_rows == sum(s["funds"].values())
    assert s["medfee"] == medfee
    assert s["settlements"] == count == demo.counts["settled"]
    assert s["income"] == income
    assert s["persons"] == persons == 200
    for scheme in s["schemes"].values():
        assert scheme["inscp_ratio"] == pytest.approx(scheme["hifp_pay"] / scheme["inscp_scp_amt"])


def test_ratios_are_split_into_inpatient_and_outpatient(demo: service.DemoResult) -> None:
    """The inpatient ratio (med_type 2xxx, 52) is what REQUIREMENTS section 3 targets; the parts add up to
    the scheme and each part's ratio is its own pooled payment over its own policy-range cost."""
    engine = create_engine(demo.db_url)
    with engine.connect() as db:
        stays = dict(
            db.execute(
                text(
                    "select s.insutype, sum(s.hifp_pay) from setl_settlement s"
                    " join setl_visit v on v.id = s.visit_id"
                    " where v.med_type like '2%' or v.med_type = '52' group by s.insutype"
                )
            ).all()
        )
    assert stays, "the tiny region has inpatient stays"
    for insutype, scheme in demo.summary["schemes"].items():
        parts = scheme["settings"]
        assert set(parts) <= {"inpatient", "outpatient"}
        for key in ("count", "medfee_sumamt", "inscp_scp_amt", "hifp_pay", "fund_pay_sumamt"):
            assert sum(p[key] for p in parts.values()) == scheme[key]
        for part in parts.values():
            assert part["inscp_ratio"] == pytest.approx(part["hifp_pay"] / part["inscp_scp_amt"])
        assert parts.get("inpatient", {}).get("hifp_pay", 0) == (stays.get(insutype) or 0)
    text_lines = "\n".join(report.lines(demo.summary))
    assert "其中住院" in text_lines and "其中门诊" in text_lines and "目标约" in text_lines
    book = openpyxl.load_workbook(demo.report_xlsx)
    settings = [row[1] for row in book["住院门诊"].iter_rows(min_row=2, values_only=True)]
    assert "住院" in settings and "门诊" in settings and "合计" in settings
    assert "住院 / 门诊" in Path(demo.report_html or "").read_text(encoding="utf-8")


def test_a_refused_visit_leaves_nothing_and_its_batch_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch runs without savepoints; when the service refuses a visit (here after it was settled), the
    batch is redone with a savepoint per visit: the refused visit leaves no row, the others are kept."""
    settle_visit = service._settle_visit

    def refuse_one(uow: Any, world: Any, visit: Any, psn_of: Any, request_id: str) -> None:
        settle_visit(uow, world, visit, psn_of, request_id)
        if request_id == "demo-3":
            raise conflict("TEST_REFUSED", "测试：拒绝第4笔")

    monkeypatch.setattr(service, "_settle_visit", refuse_one)
    knobs = service.check(persons=60, months=1, seed=5, admdvs="439901", visit_scale=1.0, rates=None)
    result = service.run_demo(knobs=knobs, db_url=f"sqlite:///{tmp_path}/demo.db", out=tmp_path / "out")
    assert result.refused == {"TEST_REFUSED": 1} and result.refusals == {"TEST_REFUSED": "测试：拒绝第4笔"}
    assert result.counts["settled"] == result.counts["visits"] - 1 > 3
    engine = create_engine(result.db_url)
    with engine.connect() as db:
        visits = db.execute(text("select count(*) from setl_visit")).scalar()
        settled = db.execute(text("select count(*) from setl_settlement")).scalar()
        repeated = db.execute(
            text("select count(*) from setl_settlement where request_id = 'demo-3'")
        ).scalar()
    assert visits == settled == result.counts["settled"] and repeated == 0


def test_reports_are_written_html_with_inlined_charts_and_a_workbook(demo: service.DemoResult) -> None:
    assert demo.report_html is not None and demo.report_xlsx is not None
    page = Path(demo.report_html).read_text(encoding="utf-8")
    assert "echarts.init" in page and "<script src" not in page  # works offline
    book = openpyxl.load_workbook(demo.report_xlsx)
    assert {"摘要", "险种", "基金", "机构", "违规"} <= set(book.sheetnames)


def test_generated_line_splits_are_those_the_settlement_service_computes(demo: service.DemoResult) -> None:
    # The generator settles in process with the pure calculation; the demo settles the same visits through
    # the service (catalog, mappings and restrictions read from the database): the splits must agree.
    dataset = demo.out / "dataset" / "setl_d.parquet"
    columns = "medfee_sumamt, fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, inscp_amt"
    generated = duckdb.sql(
        f"select {', '.join(f'cast(round(sum({c}) * 100) as bigint)' for c in columns.split(', '))}"
        f" from '{dataset}'"
    ).fetchone()
    engine = create_engine(demo.db_url)
    with engine.connect() as db:
        settled = db.execute(
            text(
                "select sum(medfee_sumamt), sum(fulamt_ownpay_amt), sum(overlmt_selfpay),"
                " sum(preselfpay_amt), sum(inscp_scp_amt) from setl_settlement"
            )
        ).one()
    assert tuple(generated or ()) == tuple(settled)


def test_monitoring_runs_over_the_demo_data_and_is_scored_against_the_labels(
    demo: service.DemoResult,
) -> None:
    """The demo runs the monitoring library (batch, DuckDB) on its data set: the run is recorded, its
    findings file is in the demo folder, and the summary holds precision and recall per family computed
    from the labels and findings files themselves."""
    findings_file = demo.out / "monitoring" / "findings.parquet"
    labels_file = demo.out / "dataset" / "labels.parquet"
    assert findings_file.exists()
    quality = demo.summary["findings"]
    assert quality, "the tiny region has labels and findings"
    found = dict(duckdb.sql(f"select rule_family, count(*) from '{findings_file}' group by 1").fetchall())
    labelled = dict(duckdb.sql(f"select rule_family, count(*) from '{labels_file}' group by 1").fetchall())
    assert set(quality) == set(found) | set(labelled)
    for family, q in quality.items():
        assert q["hits"] <= min(q["found"], q["labelled"])
        assert (q["found"] > 0) == (family in found)
        assert (q["labelled"] > 0) == (family in labelled)
        if q["found"]:
            assert q["precision"] == pytest.approx(q["hits"] / q["found"])
        if q["labelled"]:
            assert q["recall"] == pytest.approx(q["hits"] / q["labelled"])
    # The line families the library checks exactly are all found (the generator's labels are exact).
    for family in ("duplicate_charge", "over_price_cap", "impersonation"):
        if family in labelled:
            assert quality[family]["recall"] == 1.0
    engine = create_engine(demo.db_url)
    with engine.connect() as db:
        runs = db.execute(text("select findings, out_dir from mon_run")).all()
    assert len(runs) == 1 and runs[0][0] == sum(found.values())
    rows = {q["family"] for q in report.quality_rows(demo.summary)}
    assert rows == set(quality)
    book = openpyxl.load_workbook(demo.report_xlsx)
    header = next(book["违规"].iter_rows(max_row=1, values_only=True))
    assert header == ("类别", "标注", "发现", "命中", "精确率", "召回率", "AUC")
    assert "精确率" in Path(demo.report_html or "").read_text(encoding="utf-8")


def test_visits_carry_the_codes_of_registered_doctors_practising_there(demo: service.DemoResult) -> None:
    """The demo registers the region's departments and insurance doctors/pharmacists (医保医师/药师): every
    settled visit names a registered, active doctor linked to the visit's institution on the visit day."""
    engine = create_engine(demo.db_url)
    with engine.connect() as db:
        visits = db.execute(text("select count(*), count(dr_code) from setl_visit")).one()
        unknown = db.execute(
            text(
                "select count(*) from setl_visit v where not exists (select 1 from hi_doctor d"
                " join hi_doctor_link l on l.doctor_id = d.id where d.dr_code = v.dr_code"
                " and l.fixmedins_code = v.fixmedins_code and d.status = 'active')"
            )
        ).scalar()
        kinds = dict(db.execute(text("select kind, count(*) from hi_doctor group by kind")).all())
        pharmacy_codes = db.execute(
            text("select count(*) from setl_visit where med_type = '41' and dr_code not like 'Y%'")
        ).scalar()
    assert visits[0] == visits[1] > 0 and unknown == 0 and pharmacy_codes == 0
    assert kinds.get("doctor", 0) > 0 and kinds.get("pharmacist", 0) > 0
