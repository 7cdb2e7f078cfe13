"""Batch paths over a WAREHOUSE data set: DRG grouping of inpatient settlements and the DIP clearing."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from yibao.cli import app
from yibao.domain.errors import BusinessError
from yibao.payment import lookup, warehouse
from yibao.settings import _find_reference_dir

# (setl_id, year-month, institution, hosp_lv, diagnoses, procedures, medfee yuan, fund yuan)
CASES = [
    ("S1", "2024-03", "H1", "1", ["K35.200"], ["47.0100"], "10000.00", "7000.00"),
    ("S2", "2024-05", "H1", "1", ["K35.200", "E11.900"], ["47.0100"], "14000.00", "9000.00"),
    ("S3", "2024-06", "H2", "2", ["J18.000"], [], "4000.00", "3000.00"),
    ("S4", "2024-07", "H2", "2", ["J18.000"], [], "6000.00", "4000.00"),
    ("S5", "2025-01", "H1", "1", ["K35.200"], ["47.0100"], "12000.00", "9000.00"),
    ("S6", "2025-02", "H2", "2", ["J18.000"], [], "5000.00", "4000.00"),
    ("S7", "2025-02", "H2", "2", ["J18.000"], [], "5000.00", "4000.00"),  # refunded by S8
    ("S8", "2025-03", "H2", "2", ["J18.000"], [], "-5000.00", "-4000.00"),
]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    mdtrt, setl, diag, oprn = [], [], [], []
    for setl_id, ym, code, lv, diags, procs, fee, fund in CASES:
        refund = setl_id == "S8"
        mdtrt_id = "M7" if refund else f"M{setl_id[1:]}"
        if not refund:
            mdtrt.append(
                [
                    mdtrt_id,
                    "P1",
                    "1",
                    "1970-01-01",
                    "50",
                    "310",
                    "11",
                    "439901",
                    code,
                    lv,
                    f"{ym}-01 09:00:00",
                    f"{ym}-08 09:00:00",
                    "21",
                    "D1",
                    "D1",
                    diags[0],
                    "1",
                    "7",
                    "DR1",
                    "02",
                ]
            )
        setl.append(
            [
                setl_id,
                mdtrt_id,
                "P1",
                "310",
                code,
                lv,
                f"{ym}-08 10:00:00",
                "21",
                fee,
                "0",
                "0",
                "0",
                fee,
                "0",
                fund,
                "0",
                "0",
                "0",
                fund,
                "0",
                "0",
                "0",
                "1" if refund else "0",
                "S7" if refund else "",
                ym[:4],
            ]
        )
        if not refund:
            for k, d in enumerate(diags):
                diag.append([setl_id, mdtrt_id, "P1", "1", "1" if k == 0 else "0", d, ""])
            for k, o in enumerate(procs):
                oprn.append([setl_id, mdtrt_id, "P1", "1" if k == 0 else "0", o, "", f"{ym}-02"])
    _write(
        tmp_path / "mdtrt_d.csv",
        [
            "mdtrt_id",
            "psn_no",
            "gend",
            "brdy",
            "age",
            "insutype",
            "psn_type",
            "insu_admdvs",
            "fixmedins_code",
            "hosp_lv",
            "begntime",
            "endtime",
            "med_type",
            "adm_dept_codg",
            "dscg_dept_codg",
            "dscg_maindiag_code",
            "dscg_way",
            "ipt_days",
            "chfpdr_code",
            "mdtrt_cert_type",
        ],
        mdtrt,
    )
    _write(
        tmp_path / "setl_d.csv",
        [
            "setl_id",
            "mdtrt_id",
            "psn_no",
            "insutype",
            "fixmedins_code",
            "hosp_lv",
            "setl_time",
            "med_type",
            "medfee_sumamt",
            "fulamt_ownpay_amt",
            "overlmt_selfpay",
            "preselfpay_amt",
            "inscp_amt",
            "act_pay_dedc",
            "hifp_pay",
            "cvlserv_pay",
            "hifmi_pay",
            "maf_pay",
            "fund_pay_sumamt",
            "psn_pay",
            "acct_pay",
            "cash_payamt",
            "refd_setl_flag",
            "init_setl_id",
            "year",
        ],
        setl,
    )
    _write(
        tmp_path / "setl_list_diag_d.csv",
        ["setl_id", "mdtrt_id", "psn_no", "diag_type", "maindiag_flag", "diag_code", "diag_name"],
        diag,
    )
    _write(
        tmp_path / "setl_list_oprn_d.csv",
        [
            "setl_id",
            "mdtrt_id",
            "psn_no",
            "main_oprn_flag",
            "oprn_oprt_code",
            "oprn_oprt_name",
            "oprn_oprt_date",
        ],
        oprn,
    )
    return tmp_path


def test_dataset_inpatient_cases_skip_the_refunded_pair(dataset: Path) -> None:
    cases = warehouse.read_inpatient_cases(dataset)
    assert sorted(cases.setl_id) == ["S1", "S2", "S3", "S4", "S5", "S6"]
    s2 = cases.setl_id.index("S2")
    assert cases.diags[s2] == "K35.200|E11.900" and int(cases.medfee[s2]) == 1_400_000


def test_dataset_grouping(dataset: Path) -> None:
    rows = {r[0]: r for r in warehouse.group_dataset(dataset, lookup.grouper(Path(_find_reference_dir())))}
    assert rows["S1"][3] == "GD15", rows["S1"]
    assert rows["S3"][1] == "MDCE", rows["S3"]


def test_dip_annual_clearing_of_a_data_set(dataset: Path) -> None:
    """Worked by hand. History 2024 only: K35.2|47.0100 average 12,000 yuan, J18.0|保守治疗 5,000,
    all cases 8,500 → scores 141.1765 and 58.8235. 2025: H1 (三级 coef 1.0) 141.1765 points; H2
    (二级 0.9) 52.9412 points; total 194.1177. Budget 17,000.00 yuan → 预算点值 8,757.58 fen;
    cleared 18,000.00 → 结算点值 9,272.73 fen.
    H1: pre-settled 141.1765 × 1,700,000/194.1177 − 3,000 yuan own share = 936,364 fen,
        annual 1,009,091 fen, payable 72,727. H2: 363,636 / 390,909 / 27,273."""
    result = warehouse.dip_clear(
        dataset, year=2025, budget_fen=1_700_000, threshold=2, cleared_budget_fen=1_800_000
    )
    assert (result.packets, result.core_packets) == (2, 2)
    by = {i.fixmedins_code: i for i in result.institutions}
    assert by["H1"].points == Decimal("141.1765") and by["H2"].points == Decimal("52.9412")
    assert (by["H1"].prepaid_fen, by["H1"].annual_fen, by["H1"].payable_fen) == (936_364, 1_009_091, 72_727)
    assert (by["H2"].prepaid_fen, by["H2"].annual_fen, by["H2"].payable_fen) == (363_636, 390_909, 27_273)


def test_dip_clearing_refuses_a_year_without_cases_and_a_missing_table(dataset: Path, tmp_path: Path) -> None:
    with pytest.raises(BusinessError) as err:
        warehouse.dip_clear(dataset, year=2024, budget_fen=1, threshold=2)
    assert err.value.code in ("DIP_NO_HISTORY", "DIP_NO_CASES")
    (dataset / "setl_d.csv").unlink()
    with pytest.raises(BusinessError) as err:
        warehouse.read_inpatient_cases(dataset)
    assert err.value.code == "DATASET_TABLE_MISSING"


def test_cli_dip_clear_and_group_dataset(dataset: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(
        app,
        [
            "payment",
            "dip-clear",
            "--dataset",
            str(dataset),
            "--year",
            "2025",
            "--budget-yuan",
            "17000.00",
            "--threshold",
            "2",
            "--excel",
            str(tmp_path / "dip.xlsx"),
        ],
    )
    assert out.exit_code == 0, out.output
    assert "H1" in out.output and (tmp_path / "dip.xlsx").exists()
    grouped = runner.invoke(
        app, ["drg", "group-dataset", "--dataset", str(dataset), "--out", str(tmp_path / "g.csv")]
    )
    assert grouped.exit_code == 0, grouped.output
    assert "GD15" in (tmp_path / "g.csv").read_text("utf-8")
