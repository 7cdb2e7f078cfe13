"""The main job at tiny size: every visit settled through the national interface in process; the summary
matches the database."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
from sqlalchemy import create_engine, text

from yibao.domain.money import fen_to_yuan
from yibao.synthetic import report, service


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> service.DemoResult:
    folder = tmp_path_factory.mktemp("demo")
    knobs = service.check(persons=200, months=2, seed=3, admdvs="439901", visit_scale=1.0, rates=None)
    return service.run_demo(knobs=knobs, db_url=f"sqlite:///{folder}/demo.db", out=folder / "out")


def test_every_generated_visit_is_settled_through_the_national_interface(demo: service.DemoResult) -> None:
    """Each visit went through its institution's signed-in HIS: the message log holds, for every settlement,
    the settling transaction (2207 outpatient, 2304 inpatient, 2102 pharmacy) whose msgid is the settlement's
    request id, and the registration, fee upload and pre-settlement messages of that visit before it."""
    assert demo.counts["visits"] > 20
    assert demo.refused == {}
    assert demo.counts["settled"] == demo.counts["visits"]
    engine = create_engine(demo.db_url)
    with engine.connect() as db:
        settlements = db.execute(
            text(
                "select s.setl_id, s.request_id, v.mdtrt_id, v.med_type, m.infno, m.setl_id"
                " from setl_settlement s join setl_visit v on v.id = s.visit_id"
                " left join ifc_message m on m.msgid = s.request_id"
            )
        ).all()
        by_visit: dict[str, list[str]] = {}
        for mdtrt_id, infno in db.execute(
            text("select mdtrt_id, infno from ifc_message where mdtrt_id is not null order by id")
        ).all():
            by_visit.setdefault(mdtrt_id, []).append(infno)
        logged = dict(db.execute(text("select infno, count(*) from ifc_message group by infno")).all())
        signed_in = db.execute(text("select count(*) from ifc_sign_in")).scalar()
    assert len(settlements) == demo.counts["settled"]
    kinds = {"outpatient": 0, "inpatient": 0, "pharmacy": 0}
    for setl_id, _request, mdtrt_id, med_type, infno, logged_setl_id in settlements:
        assert logged_setl_id == setl_id  # the settling message is in the log under the request id
        if med_type == "41":
            assert infno == "2102"
            kinds["pharmacy"] += 1
        elif med_type.startswith("2"):
            assert infno == "2304"
            assert by_visit[mdtrt_id] == ["2401", "2301", "2402", "2303", "2304"]
            kinds["inpatient"] += 1
        else:
            assert infno == "2207"
            assert by_visit[mdtrt_id] == ["2201", "2203", "2204", "2206", "2207"]
            kinds["outpatient"] += 1
    assert all(kinds.values()), kinds  # the tiny region has all three
    flows = {infno: n for infno, n in logged.items() if infno not in ("9001", "3201")}
    assert flows == {infno: n for infno, n in demo.messages.items() if infno != "9001"}
    assert demo.messages["9001"] <= logged["9001"] == signed_in  # each institution signed in once


def test_the_institutions_totals_reconcile_by_3201(demo: service.DemoResult) -> None:
    """对总账 3201: each institution sums the settlements its HIS was answered (the logged 2207/2304/2102
    answers) by clearing type and sends the totals; the platform answers stmt_rslt 0 (平) for every one.
    The twin: a total one fen short is answered 1 (不平) naming the field."""
    from yibao.bootstrap import bootstrap
    from yibao.interface import service as interface
    from yibao.interface.his_sim import SimulatedHis
    from yibao.interface.nhsa.common import clr_type_of
    from yibao.interface.nhsa.jsontext import loads
    from yibao.settings import Settings, get_settings
    from yibao.synthetic.his import InProcessTransport

    engine = create_engine(demo.db_url)
    with engine.connect() as db:
        answers = db.execute(
            text(
                "select m.fixmedins_code, m.response, m.received_at from ifc_message m"
                " where m.infno in ('2207', '2304', '2102')"
            )
        ).all()
    books: dict[tuple[str, str], list[int]] = {}
    days: set[str] = set()
    for code, response, _at in answers:
        info = loads(response)["output"]["setlinfo"]
        key = (code, clr_type_of(str(info["med_type"])))
        book = books.setdefault(key, [0, 0, 0, 0])
        for n, name in enumerate(("medfee_sumamt", "fund_pay_sumamt", "acct_pay")):
            book[n] += int(Decimal(str(info[name])) * 100)
        book[3] += 1
        days.add(str(info["setl_time"])[:10])
    assert len(books) > 3 and len(days) <= 2
    container = bootstrap(Settings(**{**get_settings().model_dump(), "database_url": demo.db_url}))
    transport = InProcessTransport(container.uow, container.settings.secret_key)
    hiss: dict[str, SimulatedHis] = {}
    try:
        for (code, clr_type), book in sorted(books.items()):
            his = hiss.get(code)
            if his is None:
                with container.uow() as uow:
                    created = interface.create_credential(
                        uow=uow, fixmedins_code=code, secret_key=container.settings.secret_key
                    )
                his = SimulatedHis(
                    base_url="http://in-process",
                    access_key=created.credential.access_key,
                    secret=created.secret,
                    fixmedins_code=code,
                    transport=transport,
                )
                his.sign_in()
                hiss[code] = his

            assert _totals(his, clr_type, days, book)["stmt_rslt"] == "0", (code, clr_type)
        code, clr_type = sorted(books)[0]
        short = _totals(hiss[code], clr_type, days, books[(code, clr_type)], short_fen=1)
        assert short["stmt_rslt"] == "1" and "medfee_sumamt" in short["stmt_rslt_dscr"]
    finally:
        for his in hiss.values():
            his.close()
        container.engine.dispose()


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


def _totals(
    his: Any, clr_type: str, days: set[str], book: list[int], *, short_fen: int = 0
) -> dict[str, Any]:
    """3201 with the institution's totals of one clearing type (medfee_sumamt `short_fen` short)."""
    medfee, fund, acct, count = book
    data = {
        "clr_type": clr_type,
        "setl_optins": "439901",
        "stmt_begndate": min(days),
        "stmt_enddate": max(days),
        "medfee_sumamt": fen_to_yuan(medfee - short_fen),
        "fund_pay_sumamt": fen_to_yuan(fund),
        "acct_pay": fen_to_yuan(acct),
        "fixmedins_setl_cnt": count,
        "fixmedins_refd_setl_flag": "0",
    }
    info = his.ok("3201", {"data": data})["stmtinfo"]
    assert isinstance(info, dict)
    return info


def test_a_refused_settlement_is_withdrawn_and_the_others_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The platform refuses a bill whose claimed total (medfee_sumamt) is not the sum of the uploaded lines
    (MEDFEE_MISMATCH); the demo counts the refusal with its message, the HIS withdraws the lines and the
    visit (2205 + 2202; a stay 2405 + 2302 + 2404) so nothing of it stays in force, and every other visit
    is settled."""
    refused: list[Any] = []

    def claim_one_fen_more(region: Any, visit: Any, n: int) -> None:
        if n in (4, 5) and visit.med_type != "41":
            refused.append(visit)
            region.send(visit, medfee_claimed=sum(int(line[1]) * int(line[2]) for line in visit.lines) + 1)
        else:
            region.send(visit)

    monkeypatch.setattr(service, "_send", claim_one_fen_more)
    knobs = service.check(persons=60, months=1, seed=5, admdvs="439901", visit_scale=1.0, rates=None)
    result = service.run_demo(knobs=knobs, db_url=f"sqlite:///{tmp_path}/demo.db", out=tmp_path / "out")
    assert len(refused) >= 1
    assert result.refused == {"MEDFEE_MISMATCH": len(refused)}
    assert "medfee_sumamt" in result.refusals["MEDFEE_MISMATCH"]
    assert result.counts["settled"] == result.counts["visits"] - len(refused) > 3
    engine = create_engine(result.db_url)
    with engine.connect() as db:
        status = dict(db.execute(text("select status, count(*) from setl_visit group by status")).all())
        settled = db.execute(text("select count(*) from setl_settlement")).scalar()
        uploaded = db.execute(text("select count(*) from setl_fee_line where status = 'uploaded'")).scalar()
    assert status == {"settled": result.counts["settled"], "cancelled": len(refused)}
    assert settled == result.counts["settled"] and uploaded == 0
    assert sum(result.messages[i] for i in ("2202", "2404")) == len(refused)
    assert sum(result.messages[i] for i in ("2205", "2302")) == len(refused)


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
    settled outpatient and inpatient visit (2201 atddr_no, 2401 atddr_no) names a registered, active doctor
    linked to the visit's institution on the visit day. A pharmacy purchase (2102) carries no doctor: the
    interface does not pass the lines' bilg_dr_codg on to the settlement."""
    engine = create_engine(demo.db_url)
    with engine.connect() as db:
        visits = db.execute(
            text("select count(*), count(dr_code) from setl_visit where med_type <> '41'")
        ).one()
        unknown = db.execute(
            text(
                "select count(*) from setl_visit v where v.med_type <> '41' and not exists (select 1"
                " from hi_doctor d join hi_doctor_link l on l.doctor_id = d.id where d.dr_code = v.dr_code"
                " and l.fixmedins_code = v.fixmedins_code and d.status = 'active')"
            )
        ).scalar()
        kinds = dict(db.execute(text("select kind, count(*) from hi_doctor group by kind")).all())
    assert visits[0] == visits[1] > 0 and unknown == 0, (visits, unknown)
    assert kinds.get("doctor", 0) > 0 and kinds.get("pharmacist", 0) > 0
