"""Every rule of the library on hand-made data: the case that must fire and its clean twin that must not.

Each case builds a tiny WAREHOUSE data set twice (fire=True / fire=False), runs only that rule on
DuckDB, and checks the finding's key and amount (in fen, computed by hand).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.monitoring.builder import DataBuilder
from yibao.domain.monitoring import LIBRARY, library_by_id
from yibao.monitoring.batch import DuckRunner, open_data_set
from yibao.monitoring.knowledge import reference_knowledge

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"
RULES = library_by_id()

Case = Callable[[DataBuilder, bool], tuple[str | None, int]]  # → expected key (bkkp_sn, mdtrt_id …), vola fen
CASES: dict[str, Case] = {}


def case(rule_id: str) -> Callable[[Case], Case]:
    def register(fn: Case) -> Case:
        CASES[rule_id] = fn
        return fn

    return register


def knowledge():  # type: ignore[no-untyped-def]
    return reference_knowledge(REFERENCE)


def run(b: DataBuilder, rule_id: str, tmp: Path) -> list[dict[str, object]]:
    result = DuckRunner(threads=1).run(open_data_set(b.write(tmp)), [RULES[rule_id]], knowledge())
    return result.findings.to_pylist()


# ---- 第一批 sex and children --------------------------------------------------------------------


@case("GZ10000301004000")
def _sex_drug(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1", gend="2" if fire else "1")
    return b.fee("V1", "XL02BBA326A001010102180", pric="25.00"), 2500  # 阿帕他胺片, 限男性


@case("GZ10000302004000")
def _sex_item(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1", gend="2" if fire else "1")
    return b.fee("V1", "002101030280000", pric="80.00"), 8000  # 阴茎海绵体造影, 限男性


@case("GZ10000101007000")
def _child_drug(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1", age=30 if fire else 8)
    return b.fee("V1", "ZA04CAE0023010100166", cnt="2", pric="12.50"), 2500  # 儿童清肺口服液


@case("GZ10000302003000")
def _child_item(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1", age=18 if fire else 17)  # the child age limit is 17 (under 18)
    return b.fee("V1", "003105120040000", pric="150.00"), 15000  # 儿童前牙树脂冠修复


@case("YB10000102016000")
def _over_age(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1", age=61 if fire else 60)
    return b.fee("V1", "003402000320000", pric="30.00"), 3000  # 职业功能训练 (第八批-2)


# ---- 第三–六批 -----------------------------------------------------------------------------------


@case("GZ10000101001000")
def _work_injury(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1", insutype="310" if fire else "410")
    return b.fee("V1", "XD11AXQ064F002010100319", pric="40.00", list_type="101"), 4000  # 工伤保险目录用药


@case("GZ10000101002000")
def _maternity(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1", gend="2", med_type="11" if fire else "51")
    return b.fee("V1", "XG02ADD082D003010179504", pric="9.90", list_type="101"), 990


@case("YB10000101013000")
def _inpatient_only(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1", med_type="11" if fire else "2101", endtime=None if fire else "2024-03-05 10:00:00")
    return b.fee("V1", "XB05BAU012B002010102180", pric="300.00", list_type="101"), 30000


@case("GZ10000101012000")
def _level(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1", hosp_lv="8" if fire else "5")  # 一级甲等 vs 二级甲等; the drug is 限二级及以上
    return b.fee("V1", "XA10BJD332B002010178403", pric="60.00", list_type="101"), 6000


@case("GZ10000101010000")
def _course_drug(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1", begntime="2024-03-01 08:00:00", endtime="2024-03-20 10:00:00")
    b.fee("V1", "XB01AXA223B001010100269", time="2024-03-01 09:00:00", pric="20.00", list_type="101")
    later = "2024-03-15 09:00:00" if fire else "2024-03-14 09:00:00"  # 14 days paid: day 0 … day 13
    return b.fee("V1", "XB01AXA223B001010100269", time=later, pric="20.00", list_type="101"), 2000


@case("GZ10000102010000")
def _course_item(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1", begntime="2024-03-01 08:00:00", endtime=None, med_type="11")
    b.visit("V2", begntime="2024-03-31 08:00:00", endtime=None, med_type="11")
    b.fee("V1", "003402000210000", time="2024-03-01 09:00:00", pric="50.00")  # 减重支持系统训练, 30 days
    later = "2024-03-31 09:00:00" if fire else "2024-03-30 09:00:00"
    return b.fee("V2", "003402000210000", time=later, pric="50.00"), 5000


# ---- 第七批 duplicates, 第八批 frequency and cycle --------------------------------------------------


@case("GZ10000102012000")
def _duplicate(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1")
    b.fee("V1", "001103000010000", time="2024-03-02 09:00:00", pric="100.00")  # 急诊监护费 (main)
    day = "2024-03-02 15:00:00" if fire else "2024-03-03 15:00:00"  # same day (单日) or not
    return b.fee("V1", "001102000030000", time=day, pric="8.00"), 800  # 急诊诊查费 (sub)


@case("GZ10000102014000")
def _frequency(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1")
    b.fee("V1", "003101000250000", time="2024-03-02 08:00:00", cnt="20", pric="5.00")  # 肌电图监测, 24 h/day
    # 20 + 6 = 26 hours: the second line's last 2 hours are beyond the limit, 2 × 5.00 yuan
    return b.fee(
        "V1", "003101000250000", time="2024-03-02 20:00:00", cnt="6" if fire else "4", pric="5.00"
    ), 1000


@case("YB10000102017000")
def _cycle(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1", med_type="11", begntime="2024-03-01 08:00:00", endtime=None)
    b.visit("V2", med_type="11", begntime="2024-03-10 08:00:00", endtime=None)
    b.fee("V1", "002503020030000", time="2024-03-01 09:00:00", pric="45.00")  # 糖化血红蛋白, once per 15 days
    later = "2024-03-15 09:00:00" if fire else "2024-03-16 09:00:00"
    return b.fee("V2", "002503020030000", time=later, pric="45.00"), 4500


# ---- prices, quantities, discharge drugs ---------------------------------------------------------


@case("GZ10000102001000")
def _price_cap(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1")
    # 3 × (12.40 − 10.00) = 7.20 yuan above the cap
    return b.fee("V1", "003105120040000", cnt="3", pric="12.40" if fire else "10.00", cap="10.00"), 720


@case("GZ10000101009000")
def _excess_days(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1", med_type="11", endtime=None)
    # 40 days prescribed, 30 paid: 10/40 of 120.00 yuan = 30.00 yuan
    days = "40" if fire else "30"
    return b.fee("V1", "XA10BAA001A001010100001", pric="120.00", list_type="101", prd_days=days), 3000


@case("YB20000204008000")
def _discharge_days(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1", maindiag="J18.900")  # pneumonia: acute, 7 days at most
    # 10 days taken home, 7 paid: 3/10 of 50.00 yuan = 15.00 yuan
    days = "10" if fire else "7"
    return b.fee(
        "V1",
        "XJ01CAA001A001010100001",
        name="阿莫西林胶囊",
        pric="50.00",
        list_type="101",
        prd_days=days,
        tkdrug="1",
    ), 1500


# ---- admissions ------------------------------------------------------------------------------------


@case("GZ10000204001000")
def _split(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1", maindiag="I63.900", begntime="2024-03-01 08:00:00", endtime="2024-03-10 10:00:00")
    again = "2024-04-07 08:00:00" if fire else "2024-04-08 08:00:00"  # 28 days after 03-10, or 29
    b.visit("V2", maindiag="I63.800", begntime=again, endtime="2024-04-15 10:00:00", medfee="3000.00")
    return "V2", 300000


@case("GZ10000204005000")
def _low_standard(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1", maindiag="J06.900", begntime="2024-03-05 08:00:00", medfee="800.00")
    if not fire:  # seen at the emergency room 30 hours before admission
        b.visit("V0", med_type="13", begntime="2024-03-04 02:00:00", endtime=None, maindiag="J06.900")
    return "V1", 80000


def _visits(b: DataBuilder, count: int, med_type: str) -> None:
    for n in range(count):
        b.visit(
            f"V{n}", med_type=med_type, begntime=f"2024-03-{n + 1:02d} 08:00:00", endtime=None, medfee="10.00"
        )


@case("GZ10000204002000")
def _frequent_outpatient(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    _visits(b, 11 if fire else 10, "11")
    return "P1", 11000


@case("GZ10000204003000")
def _frequent_purchase(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    _visits(b, 9 if fire else 8, "41")
    return "P1", 9000


@case("GZ10000204004000")
def _frequent_admission(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    _visits(b, 3 if fire else 2, "2101")
    return "P1", 3000


# ---- inspections and identity ----------------------------------------------------------------------


@case("YB20000204009000")
def _bed_hanging(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1", medfee="2000.00")
    b.round("V1", 0 if fire else 1)
    return "V1", 200000


@case("YB20000204010000")
def _bed_rate(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    for n in range(20):
        b.visit(f"V{n}", psn_no=f"P{n}", medfee="100.00")
        b.round(f"V{n}", 0 if n < (2 if fire else 1) else 1)  # 18/20 = 90% or 19/20 = 95% in bed
    return "H1", 20000


@case("YB20000204011000")
def _impersonation(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1", med_type="11", endtime=None, medfee="500.00")
    b.check("V1", 0 if fire else 1)
    return "V1", 50000


@case("YB20000204012000")
def _dialysis(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1", med_type="14", begntime="2024-03-01 08:00:00", endtime="2024-03-31 18:00:00")
    last = ""
    for n in range(14 if fire else 13):
        last = b.fee("V1", "003110000010000", time=f"2024-03-{n * 2 + 1:02d} 09:00:00", pric="400.00")
    return last, 40000


@case("YB20000202005000")
def _pharmacy_goods(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.institution("Y1", fixmedins_type="2", hosp_lv=None)
    b.visit("V1", fixmedins_code="Y1", med_type="41", endtime=None, hosp_lv="")
    name = "进口保健品礼盒" if fire else "阿莫西林胶囊"
    return b.fee("V1", "XJ01CAA001A001010100001", name=name, pric="198.00", list_type="101"), 19800


@case("GZ10000201002000")
def _unmapped(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1")
    return b.fee("V1", "" if fire else "003105120040000", hosp_code="HX-01", pric="33.00"), 3300


@case("GZ10000201003000")
def _gray(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1", maindiag="I10.x00" if fire else "I10.x00x002")  # I10.x00 is a gray code of 医保版 2.0
    return "V1", 0


@case("GZ10000201008000")
def _outside_stay(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1", begntime="2024-03-01 08:00:00", endtime="2024-03-05 10:00:00")
    when = "2024-03-06 09:00:00" if fire else "2024-03-05 09:00:00"
    return b.fee("V1", "003105120040000", time=when, pric="20.00"), 2000


@case("GZ10000204006000")
def _diag_sex(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1", gend="1" if fire else "2", maindiag="N76.000", medfee="300.00")  # 阴道炎
    return "V1", 30000


@case("GZ10000204007000")
def _diag_age(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1", age=30 if fire else 0, maindiag="P07.300", medfee="300.00")  # 早产儿
    return "V1", 30000


@case("GZ10000301006000")
def _repeat(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1", med_type="11", begntime="2024-03-01 08:00:00", endtime=None)
    b.visit("V2", med_type="11", begntime="2024-03-05 08:00:00", endtime=None)
    b.fee("V1", "XA10BAA001A001010100001", time="2024-03-01 09:00:00", list_type="101", prd_days="30")
    later = "2024-03-10 09:00:00" if fire else "2024-03-16 09:00:00"  # 9 days into a 30-day supply, or 15
    return b.fee("V2", "XA10BAA001A001010100001", time=later, list_type="101", prd_days="30"), 1000


@case("YB20000205009000")
def _outlier(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    n = 0
    for h in range(10):
        for month in range(1, 7):
            late = month > 3
            fee = "3000.00" if (fire and h == 9 and late) else "1000.00"
            for _ in range(2):
                n += 1
                b.visit(
                    f"V{n}",
                    psn_no=f"P{n}",
                    fixmedins_code=f"H{h}",
                    begntime=f"2024-{month:02d}-03 08:00:00",
                    endtime=f"2024-{month:02d}-06 08:00:00",
                    medfee=fee,
                )
    return "H9", 1200000  # 6 stays × 2,000 yuan more in the later half


# ---- 第二批 surgery discounts, upcoding, special drugs (五定) ---------------------------------------


@case("GZ10000102002000")
def _surgery_discount(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1")
    at = "2024-03-02 10:00:00"
    b.fee("V1", "003310010140000", time=at, pric="3000.00", cap="3000.00")  # 食管癌根治术, main (胃肠手术组)
    # second operation of the same group, cap 1,500.00: at full price 1,500.00 − 50% × 1,500.00 = 750.00 yuan
    # above the discounted price; the clean twin bills it at 750.00
    return b.fee("V1", "003310010160000", time=at, pric="1500.00" if fire else "750.00", cap="1500.00"), 75000


@case("YB20000201009000")
def _upcoding(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.visit("V1", maindiag="J18.900", diagnoses=("J96.000",))  # pneumonia with respiratory failure
    b.fee("V1", "XJ01DCA001B002010100007", pric="22.00", list_type="101")  # antibiotics only
    if not fire:
        b.fee("V1", "003106030010000", cnt="24", pric="8.00")  # 呼吸机辅助呼吸, 24 hours
    return "V1", 0


def _special_line(b: DataBuilder, **kw: str) -> str:
    b.visit("V1", med_type="11", endtime=None)
    return b.fee("V1", "XL01XEA001A001010100001", pric="200.00", cnt="30", list_type="101", **kw)


@case("YB10000101014000")
def _special_unregistered(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.special("P2", "XL01XEA001A001010100001")  # the drug is special: somebody is registered for it
    if not fire:
        b.special("P1", "XL01XEA001A001010100001")
    return _special_line(b), 600000  # 30 × 200.00 yuan, the whole line


@case("YB10000101015000")
def _special_hospital(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.special("P1", "XL01XEA001A001010100001", fixmedins_code="H9" if fire else "H1")
    return _special_line(b), 600000


@case("YB10000101016000")
def _special_department(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.special("P1", "XL01XEA001A001010100001", dept="A05")
    return _special_line(b, dept="A03" if fire else "A05"), 600000


@case("YB10000101017000")
def _special_doctor(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    b.special("P1", "XL01XEA001A001010100001", dr_code="D7")
    return _special_line(b, dr_code="D1" if fire else "D7"), 600000


@case("YB10000101018000")
def _special_dose(b: DataBuilder, fire: bool) -> tuple[str | None, int]:
    # registered for 40 units a month: 30 on 03-02, then 15 (past the dose by 5: 5 × 200.00 yuan) or 10
    b.special("P1", "XL01XEA001A001010100001", max_cnt_month="40")
    _special_line(b)
    return b.fee(
        "V1", "XL01XEA001A001010100001", time="2024-03-20 09:00:00", pric="200.00", cnt="15" if fire else "10"
    ), 100000


def _key(row: dict[str, object], scope: str) -> object:
    return {
        "line": row["bkkp_sn"],
        "visit": row["mdtrt_id"],
        "person": row["psn_no"],
        "institution": row["fixmedins_code"],
        "doctor": row["dr_code"],
    }[scope]


def test_every_rule_of_the_library_has_a_hand_made_case() -> None:
    assert set(CASES) == {r.rule_id for r in LIBRARY}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fires_on_its_case(rule_id: str, tmp_path: Path) -> None:
    b = DataBuilder()
    key, fen = CASES[rule_id](b, True)
    found = run(b, rule_id, tmp_path)
    rule = RULES[rule_id]
    assert [(_key(r, rule.scope), r["vola_fen"]) for r in found] == [(key, fen)], found
    assert found[0]["rule_family"] == rule.family and found[0]["sev_deg"] == rule.severity
    assert found[0]["evidence"]


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_stays_silent_on_its_clean_twin(rule_id: str, tmp_path: Path) -> None:
    b = DataBuilder()
    CASES[rule_id](b, False)
    assert run(b, rule_id, tmp_path) == []
