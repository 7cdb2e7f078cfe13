"""CHS-DRG 1.1 grouper: one branch per MDC, the error group, the splits, and a hand-checked table.

Every expected DRG below was checked by hand against the published tables (line numbers of
`4_ADRG_DETAIL.txt`, `dat/MCC.dat`, `dat/CC.dat`, `dat/CCE.dat` in the comments).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yibao.domain.drg import ERROR_DRG, GroupCase, Grouper
from yibao.payment.lookup import scheme
from yibao.settings import _find_reference_dir


@pytest.fixture(scope="module")
def grouper() -> Grouper:
    return Grouper(scheme(Path(_find_reference_dir())))


def case(
    diags: str,
    oprns: str = "",
    *,
    gend: str = "1",
    age: int = 50,
    age_days: int | None = None,
    weight_g: int | None = None,
) -> GroupCase:
    return GroupCase(
        case_id="c",
        gend=gend,
        age=age,
        age_days=age_days,
        weight_g=weight_g,
        diag_codes=tuple(d for d in diags.split("|") if d),
        oprn_codes=tuple(o for o in oprns.split("|") if o),
    )


# (label, case, expected DRG) — checked by hand against the scheme tables
HAND_CHECKED: list[tuple[str, GroupCase, str]] = [
    # MDCA pre-MDC: 37.5100 心脏移植 (line 4) decides before the principal diagnosis' MDC
    ("MDCA heart transplant", case("I21.900", "37.5100"), "AA19"),
    # MDCB: I63.900 in BR2 (4925); no secondary → 5
    ("MDCB BR2 no CC", case("I63.900"), "BR25"),
    # J18.900 CC table 101, pdx I63.900 exclusion table 96 → CC counts → 3
    ("MDCB BR2 with CC", case("I63.900|J18.900"), "BR23"),
    # I50.900 MCC table 95 ≠ 96 → 1
    ("MDCB BR2 with MCC", case("I63.900|I50.900"), "BR21"),
    # MDCC: H25.900 in CW1 (10791), unsplit
    ("MDCC cataract", case("H25.900"), "CW19"),
    # MDCD: C00.000 in DR1 (15755)
    ("MDCD head-neck malignancy", case("C00.000"), "DR19"),
    # MDCE: J44.900 in ET2 (20580); J96.000 MCC table 109 ≠ pdx table 104 → ET21
    ("MDCE COPD with MCC", case("J44.900|J96.000"), "ET21"),
    ("MDCE COPD alone", case("J44.900"), "ET25"),
    # MDCF: I21.900 in FR1 (25780), unsplit
    ("MDCF acute MI", case("I21.900"), "FR19"),
    # I50.900 in FR2 (25836), split 1/5; its own MCC table is its exclusion table (95) → no MCC
    ("MDCF heart failure", case("I50.900"), "FR25"),
    # MDCG: K35.200 + 47.0100 腹腔镜下阑尾切除术 both in GD1 (30017)
    ("MDCG appendectomy", case("K35.200", "47.0100"), "GD15"),
    # GD1 splits 3/5 only: an MCC (I50.900, table 95 ≠ 112) lands in 3
    ("MDCG appendectomy with MCC", case("K35.200|I50.900", "47.0100"), "GD13"),
    # MDCH: B15.000 in HS1 (33785), split 1/5: CC alone stays 5, MCC N17.900 (145 ≠ 12) → 1
    ("MDCH liver failure", case("B15.000"), "HS15"),
    ("MDCH liver failure CC only", case("B15.000|J18.900"), "HS15"),
    ("MDCH liver failure MCC", case("B15.000|N17.900"), "HS11"),
    # MDCI: M22.000 in IS2 (40934)
    ("MDCI injury", case("M22.000"), "IS29"),
    # MDCJ: C50.900 in JR1 (46678)
    ("MDCJ breast malignancy", case("C50.900", gend="2"), "JR19"),
    # MDCK: E10.000 in KS1 (49824); N17.900 MCC 145 ≠ 46
    ("MDCK diabetes", case("E10.000"), "KS15"),
    ("MDCK diabetes MCC", case("E10.000|N17.900"), "KS11"),
    # MDCL: I12.000x001 in LR1 (52440); J18.900 CC 101 ≠ 92
    ("MDCL renal failure", case("I12.000x001"), "LR15"),
    ("MDCL renal failure CC", case("I12.000x001|J18.900"), "LR13"),
    # MDCM (male): A06.800x004+N51.2* in MS1 (54184)
    ("MDCM male inflammation", case("A06.800x004+N51.2*"), "MS15"),
    # MDCN (female): A18.100x019+N77.1* in NS1 (56473)
    ("MDCN female infection", case("A18.100x019+N77.1*", gend="2"), "NS19"),
    # MDCO: O80.000 with the delivery outcome Z37.000x001 (OR1, 59452)
    ("MDCO vaginal delivery", case("O80.000|Z37.000x001", gend="2", age=28), "OR19"),
    # MDCP: newborn 5 days, A04.000x001 in PU1 (62815)
    ("MDCP term newborn", case("A04.000x001", age=0, age_days=5, weight_g=3200), "PU15"),
    # PS1: P07.300x001 (62783) and weight < 1500 g; P22.000 MCC 165 ≠ 163
    ("MDCP extreme prematurity", case("P07.300x001|P22.000", age=0, age_days=3, weight_g=1400), "PS11"),
    # PR1 (62771) comes before PS in the scheme order
    ("MDCP respiratory distress", case("P22.000", age=0, age_days=3, weight_g=2600), "PR15"),
    # MDCQ: C26.100 in QR1 (64624)
    ("MDCQ spleen malignancy", case("C26.100"), "QR15"),
    # MDCR: C81.000 in RS1 (70118)
    ("MDCR lymphoma", case("C81.000"), "RS15"),
    # MDCS: A01.003 in SR1 (71637)
    ("MDCS sepsis", case("A01.003"), "SR15"),
    # MDCT: F20.000 in TR1 (73201)
    ("MDCT schizophrenia", case("F20.000"), "TR19"),
    # MDCU: F10.000 in UR1 (73996)
    ("MDCU alcohol", case("F10.000"), "UR15"),
    # MDCV: S00.102 in VR1 (79040)
    ("MDCV injury", case("S00.102"), "VR19"),
    # MDCW: T20.300 in WR1 (80848)
    ("MDCW burn", case("T20.300"), "WR19"),
    # MDCX: R41.000 in XR1 (82541)
    ("MDCX rehabilitation", case("R41.000"), "XR15"),
    # MDCY: B20.000x001 in YR1 (83850)
    ("MDCY HIV", case("B20.000x001"), "YR15"),
    # MDCZ: S06.500x005 头颈部 (83961) + S27.000 胸部 (84099): two regions; S27.000 CC 198, ZZ1 splits 1/5
    ("MDCZ multiple trauma", case("S06.500x005|S27.000"), "ZZ15"),
    # an OR procedure foreign to MDCB → 歧义组
    ("QY ambiguous", case("I63.900", "47.0100"), "BQY"),
]


@pytest.mark.parametrize(("label", "given_case", "expected"), HAND_CHECKED, ids=[h[0] for h in HAND_CHECKED])
def test_hand_checked_table(grouper: Grouper, label: str, given_case: GroupCase, expected: str) -> None:
    result = grouper.group(given_case)
    assert result.drg == expected, result.reason_path
    assert result.reasons, "every result carries its reason path"


def test_hand_checked_agreement_is_complete(grouper: Grouper) -> None:
    """Agreement with the hand-checked table: 100 % on cases the scheme decides unambiguously."""
    agree = sum(grouper.group(c).drg == e for _, c, e in HAND_CHECKED)
    assert agree == len(HAND_CHECKED)


def test_every_mdc_branch_is_covered(grouper: Grouper) -> None:
    mdcs = {grouper.group(c).mdc for _, c, _ in HAND_CHECKED}
    assert mdcs >= {f"MDC{x}" for x in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}


# -- the error group: never silently a wrong DRG ------------------------------------------------


@pytest.mark.parametrize(
    ("given_case", "code"),
    [
        (case("K80.100"), "DRG_DX_GRAY"),  # 灰码 in ICD10医保版v2.0灰码.dat
        (case("I63.900|K80.100"), "DRG_DX_GRAY"),
        (case("X99.999"), "DRG_DX_UNKNOWN"),
        (case("I63.900", "99.9999"), "DRG_PROC_UNKNOWN"),
        (case(""), "DRG_NO_PRINCIPAL_DX"),
        (case("A06.800x004+N51.2*", gend="2"), "DRG_SEX_CONFLICT"),  # male genital pdx, female
        (case("A18.100x019+N77.1*", gend="1"), "DRG_SEX_CONFLICT"),
        (case("O80.000|Z37.000x001", gend="1"), "DRG_SEX_CONFLICT"),
        (case("O80.000|Z37.000x001", gend="2", age=70), "DRG_AGE_CONFLICT"),
        (case("P22.000", age=30), "DRG_AGE_CONFLICT"),  # newborn-only diagnosis at 30 years
        (case("P22.000", age=0, age_days=3), "DRG_NEWBORN_WEIGHT_MISSING"),
        (case("P22.000", age=0), "DRG_AGE_DAYS_MISSING"),
        (case("K35.200", "88.7600x001|47.0100"), "DRG_PRINCIPAL_PROC_INVALID"),
        (case("I63.900", gend="9"), "DRG_SEX_MISSING"),
    ],
)
def test_bad_input_goes_to_error_group_with_reason(
    grouper: Grouper, given_case: GroupCase, code: str
) -> None:
    result = grouper.group(given_case)
    assert result.drg == ERROR_DRG
    assert result.error_code == code, result.reason_path
    assert result.reasons[-1]


def test_clean_twins_of_the_error_rules_group_normally(grouper: Grouper) -> None:
    """Each refusal above has a clean twin that groups."""
    assert grouper.group(case("A06.800x004+N51.2*", gend="1")).drg == "MS15"
    assert grouper.group(case("P22.000", age=0, age_days=3, weight_g=3000)).drg == "PR15"
    assert grouper.group(case("K35.200", "47.0100|88.7600x001")).drg == "GD15"
    assert grouper.group(case("O80.000|Z37.000x001", gend="2", age=30)).drg == "OR19"


def test_cc_exclusion_cancels_an_mcc_of_the_principals_table(grouper: Grouper) -> None:
    """CC 排除表: J44.100 is an MCC of table 7-104 (dat/MCC.dat), and J44.900's own exclusion table is
    7-104 (dat/CCE.dat): beside J44.900 it does not count; beside I63.900 (table 96) it does."""
    assert grouper.group(case("J44.900|J44.100")).drg == "ET25"
    assert grouper.group(case("I63.900|J44.100")).drg == "BR21"
    # a CC of the same table (J41.000, CC 7-104) is excluded too; J96.000 (MCC 7-109) is not
    assert grouper.group(case("J44.900|J41.000")).drg == "ET25"
    assert grouper.group(case("J44.900|J41.000|J96.000")).drg == "ET21"


def test_clinical_edition_code_is_mapped_and_recorded(grouper: Grouper) -> None:
    s = grouper.scheme
    clinical = next(k for k, v in s.dx_map.items() if k not in s.dx_known and v == "A01.003")
    result = grouper.group(case(clinical))
    assert result.drg == "SR15"
    assert any("对照为医保版 A01.003" in r for r in result.reasons)


def test_cache_returns_the_callers_case_id(grouper: Grouper) -> None:
    a = grouper.group(GroupCase("a", "1", 50, diag_codes=("I63.900",)))
    b = grouper.group(GroupCase("b", "1", 50, diag_codes=("I63.900",)))
    assert (a.case_id, b.case_id) == ("a", "b")
    assert a.drg == b.drg


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_every_case_lands_in_a_published_drg_or_an_explained_error(
    grouper: Grouper, data: st.DataObject
) -> None:
    s = grouper.scheme
    dx_pool = [*sorted(s.mdc_of_dx)[::97], "X99.999", "K80.100"]
    proc_pool = [*sorted(s.or_procs)[::211], "99.9999"]
    diags = data.draw(st.lists(st.sampled_from(dx_pool), min_size=1, max_size=4))
    oprns = data.draw(st.lists(st.sampled_from(proc_pool), max_size=3))
    gend = data.draw(st.sampled_from(["1", "2"]))
    age = data.draw(st.integers(0, 99))
    age_days = data.draw(st.one_of(st.none(), st.integers(0, 364))) if age == 0 else None
    weight = data.draw(st.one_of(st.none(), st.integers(500, 5000)))
    result = grouper.group(
        GroupCase("p", gend, age, age_days, weight, diag_codes=tuple(diags), oprn_codes=tuple(oprns))
    )
    assert result.reasons
    if result.drg == ERROR_DRG:
        assert result.error_code
    elif result.drg.endswith("QY"):
        assert oprns
    else:
        assert result.drg in s.drg_names, result.reason_path
        assert result.drg.startswith(result.adrg)
