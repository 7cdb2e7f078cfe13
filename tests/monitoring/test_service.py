"""Use cases: knowledge versions, region settings with periods, batch runs with bad input, cases,
what-if, quality against labels, and the in-visit check through the service."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.factories import make_actor
from tests.knowledge import load_knowledge
from tests.monitoring.builder import DataBuilder
from tests.monitoring.test_rules import REFERENCE
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM, Role
from yibao.domain.errors import BusinessError, ErrorKind
from yibao.domain.monitoring import LineInput, VisitInput
from yibao.monitoring import service

KNOWLEDGE = REFERENCE / "monitoring" / "knowledge"
ICD = REFERENCE / "icd"
SEX_DRUG = "XL02BBA326A001010102180"  # 阿帕他胺片, 限男性
DAY = date(2024, 3, 1)
CAPPED = "004200000990000"  # an item with no restriction in the knowledge


@pytest.fixture
def loaded(container: Container) -> Container:
    load_knowledge(container)
    return container


def _data(tmp: Path) -> Path:
    b = DataBuilder()
    b.visit("V1", gend="2", begntime="2024-03-01 08:00:00")
    b.fee("V1", SEX_DRUG, pric="25.00")  # sex: 25.00 yuan
    b.fee("V1", CAPPED, cnt="3", pric="12.40", cap="10.00")  # cap: 7.20 yuan
    b.visit(
        "V2", psn_no="P2", fixmedins_code="H2", begntime="2024-04-02 08:00:00", endtime="2024-04-06 10:00:00"
    )
    b.fee("V2", "003101000250000", time="2024-04-03 08:00:00", cnt="30", pric="5.00")  # frequency: 6 × 5.00
    return b.write(tmp / "data")


def test_knowledge_load_is_versioned_by_content_and_reloading_reactivates(loaded: Container) -> None:
    with loaded.uow(SYSTEM) as uow:
        again = service.load_knowledge(uow=uow, folder=KNOWLEDGE, icd_dir=ICD)
    with loaded.uow(SYSTEM) as uow:
        versions = service.knowledge_versions(uow=uow)
        knowledge, version = service.knowledge_in_use(uow=uow)
    assert [v.version for v in versions] == [again.version] and versions[0].active
    assert version == again.version == knowledge.version  # the stored rows give back the same content
    assert knowledge.counts()["sex"] == 6862 and knowledge.counts()["duplicate"] == 900
    assert knowledge.counts()["surgery_group"] == 378  # 第二批 限定主次操作, operation → group


def test_region_settings_are_versioned_by_period(container: Container) -> None:
    rule = "GZ10000101009000"  # 药品限最大支付天数, max_days 30
    with container.uow(SYSTEM) as uow:
        service.set_rule(uow=uow, admdvs="439901", rule_id=rule, enabled=False, begin=date(2024, 1, 1))
    with container.uow(SYSTEM) as uow:
        service.set_rule(
            uow=uow,
            admdvs="439901",
            rule_id=rule,
            enabled=True,
            params={"max_days": 15},
            begin=date(2024, 6, 1),
        )
    with container.uow(SYSTEM) as uow:
        march = {v.rule.rule_id: v for v in service.library(uow=uow, admdvs="439901", day=date(2024, 3, 1))}
        july = {v.rule.rule_id: v for v in service.library(uow=uow, admdvs="439901", day=date(2024, 7, 1))}
        other = {v.rule.rule_id: v for v in service.library(uow=uow, admdvs="439902", day=date(2024, 7, 1))}
        history = service.setting_history(uow=uow, admdvs="439901", rule_id=rule)
    assert not march[rule].enabled
    assert july[rule].enabled and july[rule].params["max_days"] == 15
    assert other[rule].enabled and other[rule].params["max_days"] == 30
    assert history[0].end == date(2024, 5, 31)  # the earlier version ends the day before


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"nope": 1}, "RULE_PARAM"),
        ({"max_days": "x"}, "RULE_PARAM_TYPE"),
        ({"max_days": -1}, "RULE_PARAM_TYPE"),
    ],
)
def test_unknown_or_mistyped_parameters_are_refused(container: Container, params: dict, code: str) -> None:
    with container.uow(SYSTEM) as uow, pytest.raises(BusinessError) as err:
        service.set_rule(
            uow=uow, admdvs="439901", rule_id="GZ10000101009000", enabled=True, params=params, begin=DAY
        )
    assert err.value.code == code


def test_a_clerk_of_another_region_may_not_set_rules(container: Container) -> None:
    actor = make_actor(Role.SUPERVISOR, regions=("439902",))
    with container.uow(actor) as uow, pytest.raises(BusinessError) as err:
        service.set_rule(uow=uow, admdvs="439901", rule_id="GZ10000101009000", enabled=False, begin=DAY)
    assert err.value.kind == ErrorKind.FORBIDDEN


def test_run_writes_findings_in_the_warehouse_layout_and_records_the_run(
    loaded: Container, tmp_path: Path
) -> None:
    with loaded.uow(SYSTEM) as uow:
        row = service.run_batch(
            uow=uow, data_dir=_data(tmp_path), out_dir=tmp_path / "out", day=DAY, csv_too=True
        )
    table = pq.read_table(tmp_path / "out" / "findings.parquet")
    assert table.column_names == [
        "finding_id",
        "rule_id",
        "rule_name",
        "rule_family",
        "scope",
        "bkkp_sn",
        "mdtrt_id",
        "setl_id",
        "psn_no",
        "fixmedins_code",
        "dr_code",
        "vola_amt",
        "sev_deg",
        "evidence",
    ]
    assert table.schema.field("vola_amt").type == pa.decimal128(18, 2)
    amounts = {r["rule_family"]: r["vola_amt"] for r in table.to_pylist()}
    assert amounts == {
        "sex_restricted": Decimal("25.00"),
        "over_price_cap": Decimal("7.20"),
        "frequency_exceeded": Decimal("30.00"),
    }
    assert (tmp_path / "out" / "findings.csv").exists()
    assert row.findings == 3 and row.vola_fen == 6220
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]  # no temporary files left


def test_a_disabled_rule_does_not_run_for_its_region(loaded: Container, tmp_path: Path) -> None:
    with loaded.uow(SYSTEM) as uow:
        service.set_rule(
            uow=uow, admdvs="439901", rule_id="GZ10000301004000", enabled=False, begin=date(2024, 1, 1)
        )
    with loaded.uow(SYSTEM) as uow:
        row = service.run_batch(
            uow=uow, data_dir=_data(tmp_path), out_dir=tmp_path / "out", day=DAY, admdvs="439901"
        )
    assert row.findings == 2


def test_a_missing_column_names_the_file_and_column_and_nothing_is_written(
    loaded: Container, tmp_path: Path
) -> None:
    data = _data(tmp_path)
    fees = pq.read_table(data / "fee_list_d.parquet").drop(["pric_uplmt_amt"])
    pq.write_table(fees, data / "fee_list_d.parquet")
    with loaded.uow(SYSTEM) as uow, pytest.raises(BusinessError) as err:
        service.run_batch(uow=uow, data_dir=data, out_dir=tmp_path / "out", day=DAY)
    assert err.value.code == "DATA_COLUMN_MISSING"
    assert "fee_list_d.parquet" in err.value.message and "pric_uplmt_amt" in err.value.message
    assert not (tmp_path / "out").exists()


def test_a_missing_table_is_named(loaded: Container, tmp_path: Path) -> None:
    data = _data(tmp_path)
    (data / "setl_list_diag_d.parquet").unlink()
    with loaded.uow(SYSTEM) as uow, pytest.raises(BusinessError) as err:
        service.run_batch(uow=uow, data_dir=data, out_dir=tmp_path / "out", day=DAY)
    assert err.value.code == "DATA_TABLE_MISSING" and "setl_list_diag_d" in err.value.message


def test_unreadable_rows_are_counted_and_quarantined_with_the_reason(
    loaded: Container, tmp_path: Path
) -> None:
    b = DataBuilder()
    b.visit("V1", gend="2")
    b.fee("V1", SEX_DRUG, pric="25.00")
    b.fee("V1", SEX_DRUG, time="yesterday", bkkp_sn="BAD1")
    b.fee("V1", SEX_DRUG, cnt="two", bkkp_sn="BAD2", amount="1.00")
    b.visit("V2", begntime="not a time")
    data = b.write(tmp_path / "data", fmt="csv")
    with loaded.uow(SYSTEM) as uow:
        row = service.run_batch(uow=uow, data_dir=data, out_dir=tmp_path / "out", day=DAY)
    quarantine = pq.read_table(tmp_path / "out" / "quarantine.parquet").to_pylist()
    assert sorted((q["source"], q["row_key"], q["reason"]) for q in quarantine) == [
        ("fee_list_d", "BAD1", "fee_ocur_time 不是时间 yyyy-MM-dd HH:mm:ss"),
        ("fee_list_d", "BAD2", "cnt 不是数量"),
        ("mdtrt_d", "V2", "begntime 不是时间 yyyy-MM-dd HH:mm:ss"),
    ]
    assert row.findings == 1  # the good line still fires
    assert '"fee_list_d": 2' in row.summary


def test_cases_group_findings_by_institution_and_month_and_are_worked_to_a_decision(
    loaded: Container, tmp_path: Path
) -> None:
    with loaded.uow(SYSTEM) as uow:
        run = service.run_batch(uow=uow, data_dir=_data(tmp_path), out_dir=tmp_path / "out", day=DAY)
    with loaded.uow(SYSTEM) as uow:
        cases = service.open_cases(uow=uow, run_no=run.run_no)
    assert sorted((c.fixmedins_code, c.period, c.findings, c.vola_fen) for c in cases) == [
        ("H1", "2024-03", 2, 3220),
        ("H2", "2024-04", 1, 3000),
    ]
    with loaded.uow(SYSTEM) as uow:
        assert service.open_cases(uow=uow, run_no=run.run_no) == []  # not cased twice
    h1 = next(c.case_no for c in cases if c.fixmedins_code == "H1")
    with loaded.uow(SYSTEM) as uow, pytest.raises(BusinessError) as err:
        service.act_on_case(uow=uow, case_no=h1, action="confirm")
    assert err.value.code == "CASE_STATE"  # an open case is assigned first
    with loaded.uow(SYSTEM) as uow:
        service.act_on_case(uow=uow, case_no=h1, action="assign", assignee="稽核员甲")
    with loaded.uow(SYSTEM) as uow, pytest.raises(BusinessError) as err:
        service.act_on_case(uow=uow, case_no=h1, action="verify")
    assert err.value.code == "CASE_NOTE"
    with loaded.uow(SYSTEM) as uow:
        service.act_on_case(
            uow=uow, case_no=h1, action="verify", note="调阅病历，确认收费", attachment="病历.pdf"
        )
    with loaded.uow(SYSTEM) as uow, pytest.raises(BusinessError) as err:
        service.act_on_case(uow=uow, case_no=h1, action="confirm", recover_fen=5000)
    assert err.value.code == "CASE_RECOVER"  # more than the 32.20 yuan at stake
    with loaded.uow(SYSTEM) as uow:
        service.act_on_case(uow=uow, case_no=h1, action="confirm", recover_fen=2500, note="限性别药品追回")
    with loaded.uow(SYSTEM) as uow:
        view = service.get_case(uow=uow, case_no=h1)
    assert view.case.status == "confirmed" and view.case.recover_fen == 2500
    assert [n.action for n in view.notes] == ["open", "assign", "verify", "confirm"]
    assert {f.rule_family for f in view.findings} == {"sex_restricted", "over_price_cap"}


def test_what_if_compares_findings_before_and_after(loaded: Container, tmp_path: Path) -> None:
    with loaded.uow(SYSTEM) as uow:
        run = service.run_batch(uow=uow, data_dir=_data(tmp_path), out_dir=tmp_path / "out", day=DAY)
    with loaded.uow(SYSTEM) as uow:
        result = service.what_if(
            uow=uow,
            run_no=run.run_no,
            overrides={"GZ10000301004000": {"enabled": False}},
            out_dir=tmp_path / "whatif",
        )
    rows = {r["rule_id"]: r for r in result.rows}
    assert (rows["GZ10000301004000"]["before"], rows["GZ10000301004000"]["after"]) == (1, 0)
    assert (rows["GZ10000102001000"]["before_fen"], rows["GZ10000102001000"]["after_fen"]) == (720, 720)
    assert result.changed.kind == "whatif"


def test_findings_filter_and_drill_down_to_the_fee_lines(loaded: Container, tmp_path: Path) -> None:
    with loaded.uow(SYSTEM) as uow:
        run = service.run_batch(uow=uow, data_dir=_data(tmp_path), out_dir=tmp_path / "out", day=DAY)
    with loaded.uow(SYSTEM) as uow:
        page = service.run_findings(uow=uow, run_no=run.run_no, filters={"fixmedins_code": "H1"})
        _finding, lines = service.finding_detail(
            uow=uow, run_no=run.run_no, finding_id=page.items[0]["finding_id"]
        )
    assert page.total == 2 and page.items[0]["rule_family"] == "sex_restricted"  # largest amount first
    assert [ln["med_list_codg"] for ln in lines] == [SEX_DRUG]
    with loaded.uow(SYSTEM) as uow, pytest.raises(BusinessError):
        service.run_findings(uow=uow, run_no=run.run_no, filters={"evidence": "x"})


def test_evaluate_precision_and_recall_per_family_against_labels(loaded: Container, tmp_path: Path) -> None:
    data = _data(tmp_path)
    # labels: the sex line (hit), a line of V2 wrongly believed over cap (missed by monitoring, a miss),
    # and the frequency line labelled at visit scope (the finding is lifted to its visit: hit)
    fee = pq.read_table(data / "fee_list_d.parquet").to_pylist()
    labels = [
        {"rule_family": "sex_restricted", "scope": "line", "bkkp_sn": fee[0]["bkkp_sn"]},
        {"rule_family": "over_price_cap", "scope": "line", "bkkp_sn": fee[2]["bkkp_sn"]},
        {"rule_family": "frequency_exceeded", "scope": "visit", "mdtrt_id": "V2"},
    ]
    columns = ["rule_family", "scope", "bkkp_sn", "mdtrt_id", "psn_no", "fixmedins_code", "dr_code", "detail"]
    pq.write_table(
        pa.table({c: pa.array([r.get(c) for r in labels], pa.string()) for c in columns}),
        data / "labels.parquet",
    )
    with loaded.uow(SYSTEM) as uow:
        service.run_batch(uow=uow, data_dir=data, out_dir=tmp_path / "out", day=DAY)
    quality = {q.family: q for q in service.evaluate(data_dir=data, findings_dir=tmp_path / "out")}
    assert (quality["sex_restricted"].precision, quality["sex_restricted"].recall) == (1.0, 1.0)
    assert (quality["over_price_cap"].precision, quality["over_price_cap"].recall) == (
        0.0,
        0.0,
    )  # 1 found, other labelled
    assert (quality["frequency_exceeded"].precision, quality["frequency_exceeded"].recall) == (1.0, 1.0)


def _visit(lines: tuple[LineInput, ...]) -> VisitInput:
    return VisitInput(
        mdtrt_id="V9",
        psn_no="P9",
        gend="2",
        age=40,
        insutype="310",
        fixmedins_code="H1",
        hosp_tier=3,
        med_type="2101",
        begntime=datetime(2024, 3, 1, 8),
        endtime=None,
        diagnoses=("I10.x00x002",),
        lines=lines,
    )


def test_in_visit_check_uses_the_loaded_knowledge_and_the_region_settings(loaded: Container) -> None:
    line = LineInput(
        sn="1",
        code=SEX_DRUG,
        time=datetime(2024, 3, 1, 9),
        quantity=Decimal(1),
        price_fen=Decimal(2500),
        amount_fen=2500,
    )
    with loaded.uow(SYSTEM) as uow:
        check = service.check_visit(uow=uow, visit=_visit((line,)), admdvs="439901")
    assert [(f.rule_id, f.sn, f.vola_fen, f.national_sev_deg) for f in check.findings] == [
        ("GZ10000301004000", "1", 2500, "1")
    ]
    assert not check.blocked and check.knowledge_version is not None
    with loaded.uow(SYSTEM) as uow:
        service.set_rule(
            uow=uow, admdvs="439901", rule_id="GZ10000301004000", enabled=False, begin=date(2024, 1, 1)
        )
    with loaded.uow(SYSTEM) as uow:
        assert service.check_visit(uow=uow, visit=_visit((line,)), admdvs="439901").findings == []


def test_pre_settlement_check_reads_the_settlement_rows(loaded: Container) -> None:
    visit = SimpleNamespace(
        mdtrt_id="V9",
        psn_no="P9",
        insutype="310",
        insu_admdvs="439901",
        fixmedins_code="H1",
        med_type="11",
        begntime=datetime(2024, 3, 1, 8),
        endtime=None,
        diagnoses="I10.x00x002",
        dr_code="D1",
        dept_code="A03",
    )
    lines = [
        SimpleNamespace(
            feedetl_sn="F1",
            hilist_code="003105120040000",
            fee_ocur_time=datetime(2024, 3, 1, 9),
            cnt=Decimal(3),
            pric=Decimal(1240),
            amount=3720,
            medins_list_codg="H-1",
            medins_list_name="儿童前牙树脂冠修复",
            refund_of=None,
        ),
    ]
    with loaded.uow(SYSTEM) as uow:
        check = service.check_settlement_visit(
            uow=uow,
            visit=visit,
            lines=lines,
            gend="1",
            birth_date=date(1990, 1, 1),
            hosp_lv="2",
            caps={"F1": Decimal(1000)},
        )
    assert sorted((f.family, f.vola_fen) for f in check.findings) == [
        ("age_restricted", 3720),
        ("over_price_cap", 720),
    ]
