"""The main job at tiny size: every visit settled through the service; the summary matches the database."""

from __future__ import annotations

from pathlib import Path

import duckdb
import openpyxl
import pytest
from sqlalchemy import create_engine, text

from yibao.synthetic import service


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
