"""Catalog rules, pure: codes, 甲/乙/丙 ratios, versions, restrictions, price caps, mapping states."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yibao.domain import catalog as rules
from yibao.domain.errors import BusinessError
from yibao.domain.periods import overlaps


class _Books:
    """A stand-in for the national dictionaries."""

    codes: ClassVar[dict[str, set[str]]] = {
        "list_type": {"101", "102", "103", "104", "105", "106", "201", "301"},
        "drug_dosform": {"170000", "100000"},
        "med_chrgitm_type": {"01", "05"},
        "insutype": {"310", "390"},
    }

    def has(self, dict_name: str, code: str) -> bool:
        return code in self.codes.get(dict_name, set())


BOOKS = _Books()


@dataclass
class V:
    begin: date
    end: date | None = None
    id: int = 0


# ------------------------------------------------------------------ codes


@pytest.mark.parametrize(
    ("kind", "list_type", "code"),
    [
        ("drug", "101", "XA01ABD075A002010100483"),
        ("drug", "101", "ZA04AAA0127010102937".ljust(23, "0")),
        ("drug", "102", "T000700426"),
        ("service", "201", "003105120040000"),
        ("consumable", "301", "C14010218070000110190000165"),
        ("consumable", "301", "C1401021807000011019"),
        ("facility", "201", "001103000010000"),
    ],
)
def test_national_code_shapes_accepted(kind: str, list_type: str, code: str) -> None:
    assert rules.check_code(kind, list_type, code.lower()) == code


@pytest.mark.parametrize(
    ("kind", "list_type", "code"),
    [
        ("drug", "101", "XA01ABD075A00201010048"),  # 22 characters
        ("drug", "101", "YA01ABD075A002010100483"),  # neither X nor Z
        ("drug", "101", "XA01ABD075A00201010048-"),
        ("service", "201", "00310512004000"),  # 14 characters
        ("service", "201", "A03105120040000"),  # starts with a letter
        ("consumable", "301", "C140102180700001101900001"),  # 25 characters
        ("consumable", "301", "D14010218070000110190000165"),
    ],
)
def test_malformed_national_codes_are_refused(kind: str, list_type: str, code: str) -> None:
    with pytest.raises(BusinessError) as info:
        rules.check_code(kind, list_type, code)
    assert (info.value.code, info.value.field) == ("CATALOG_CODE_FORMAT", "code")


# ------------------------------------------------------------------ classes and ratios


def test_class_a_pays_no_self_pay_first() -> None:
    assert rules.check_class_ratio(rules.CLASS_A, None) == 0
    assert rules.check_class_ratio(rules.CLASS_A, 0) == 0
    with pytest.raises(BusinessError) as info:
        rules.check_class_ratio(rules.CLASS_A, 1000)
    assert info.value.code == "CATALOG_RATIO_CLASS_A"


def test_class_b_needs_its_ratio() -> None:
    assert rules.check_class_ratio(rules.CLASS_B, 1000) == 1000
    assert rules.check_class_ratio(rules.CLASS_B, 0) == 0
    with pytest.raises(BusinessError) as info:
        rules.check_class_ratio(rules.CLASS_B, None)
    assert (info.value.code, info.value.field) == ("CATALOG_RATIO_REQUIRED", "selfpay_ratio")


def test_class_c_is_paid_in_full_by_the_patient() -> None:
    assert rules.check_class_ratio(rules.CLASS_C, None) == rules.FULL
    with pytest.raises(BusinessError) as info:
        rules.check_class_ratio(rules.CLASS_C, 5000)
    assert info.value.code == "CATALOG_RATIO_CLASS_C"


@pytest.mark.parametrize(
    ("text", "bp"), [("0.10", 1000), ("10%", 1000), ("12.5%", 1250), ("0.0005", 5), ("1", 10000), ("0", 0)]
)
def test_ratios_are_read_as_fractions_or_percents_into_basis_points(text: str, bp: int) -> None:
    assert rules.parse_ratio(text) == bp


@pytest.mark.parametrize(
    ("value", "code"),
    [(0.1, "CATALOG_RATIO_FORMAT"), ("abc", "CATALOG_RATIO_FORMAT"), ("1.5", "CATALOG_RATIO_RANGE"),
     ("-0.1", "CATALOG_RATIO_RANGE"), ("0.00001", "CATALOG_RATIO_FORMAT")],
)  # fmt: skip
def test_bad_ratios_are_refused(value: object, code: str) -> None:
    with pytest.raises(BusinessError) as info:
        rules.parse_ratio(value)
    assert info.value.code == code


@given(st.integers(min_value=0, max_value=10_000))
def test_ratio_round_trips_through_its_fraction(bp: int) -> None:
    assert rules.parse_ratio(rules.ratio_fraction(bp)) == bp
    assert rules.parse_ratio(rules.format_ratio(bp)) == bp


# ------------------------------------------------------------------ versions


def test_item_valid_on_picks_the_version_in_force_and_none_outside() -> None:
    old = V(date(2023, 1, 1), date(2023, 12, 31))
    new = V(date(2024, 1, 1))
    assert rules.item_valid_on([old, new], date(2023, 12, 31)) is old
    assert rules.item_valid_on([old, new], date(2024, 1, 1)) is new
    assert rules.item_valid_on([old, new], date(2022, 12, 31)) is None


def test_change_closes_the_open_version_the_day_before() -> None:
    old = V(date(2023, 1, 1), id=7)
    closing, end = rules.plan_version([old], date(2024, 3, 1), None, code="X", change=True)
    assert closing is old and end == date(2024, 2, 29)


def test_a_version_beginning_the_same_day_is_an_overlap_naming_it() -> None:
    old = V(date(2024, 1, 1), id=7)
    with pytest.raises(BusinessError) as info:
        rules.plan_version([old], date(2024, 1, 1), None, code="X", change=True)
    assert info.value.code == "CATALOG_VERSION_OVERLAP"
    assert "2024-01-01—长期" in info.value.message and "版本 7" in info.value.message


def test_without_change_any_overlap_is_refused() -> None:
    with pytest.raises(BusinessError) as info:
        rules.plan_version([V(date(2023, 1, 1))], date(2024, 1, 1), None, code="X", change=False)
    assert info.value.code == "CATALOG_VERSION_OVERLAP"


def test_a_later_version_blocks_an_earlier_open_one() -> None:
    later = V(date(2025, 1, 1))
    with pytest.raises(BusinessError) as info:
        rules.plan_version([later], date(2024, 1, 1), None, code="X", change=True)
    assert info.value.code == "CATALOG_VERSION_OVERLAP"
    closing, _ = rules.plan_version([later], date(2024, 1, 1), date(2024, 12, 31), code="X", change=True)
    assert closing is None


@given(
    st.lists(st.tuples(st.integers(0, 60), st.one_of(st.none(), st.integers(0, 30))), min_size=1, max_size=8)
)
def test_accepted_versions_never_overlap(steps: list[tuple[int, int | None]]) -> None:
    """Whatever sequence of changes is asked for, the versions kept never share a day."""
    start = date(2024, 1, 1)
    kept: list[V] = []
    for offset, length in steps:
        begin = start + timedelta(days=offset)
        end = None if length is None else begin + timedelta(days=length)
        try:
            closing, close_end = rules.plan_version(kept, begin, end, code="X", change=True)
        except BusinessError as exc:
            assert exc.code == "CATALOG_VERSION_OVERLAP"
            continue
        if closing is not None:
            closing.end = close_end
        kept.append(V(begin, end))
    for i, a in enumerate(kept):
        for b in kept[i + 1 :]:
            assert not overlaps(a, b)


# ------------------------------------------------------------------ restrictions

CHILD = rules.PatientFacts(gend="1", birth_date=date(2018, 5, 1))
ADULT_WOMAN = rules.PatientFacts(gend="2", birth_date=date(1980, 5, 1))
VISIT = rules.VisitFacts(day=date(2024, 6, 1), hosp_lv="5", inpatient=False, insutype="310", days=7)


def _codes(item: rules.Restrictions, patient: rules.PatientFacts, visit: rules.VisitFacts) -> list[str]:
    return [v.code for v in rules.check_restrictions(item, patient, visit)]


def test_sex_restriction_fires_for_the_other_sex_and_not_for_the_same() -> None:
    item = rules.Restrictions(gend="2")
    assert _codes(item, CHILD, VISIT) == ["RESTRICT_SEX"]
    assert _codes(item, ADULT_WOMAN, VISIT) == []


def test_children_only_item_fires_for_an_adult_and_not_for_a_child() -> None:
    item = rules.Restrictions(age_max=17)
    assert _codes(item, ADULT_WOMAN, VISIT) == ["RESTRICT_AGE"]
    assert _codes(item, CHILD, VISIT) == []


def test_age_is_counted_in_full_years_on_the_service_day() -> None:
    item = rules.Restrictions(age_min=6)
    born = rules.PatientFacts(gend="1", birth_date=date(2018, 6, 2))
    assert _codes(item, born, VISIT) == ["RESTRICT_AGE"]  # 5 years old on 2024-06-01
    assert _codes(item, born, rules.VisitFacts(**{**VISIT.__dict__, "day": date(2024, 6, 2)})) == []


def test_second_level_and_above_fires_at_a_first_level_hospital_only() -> None:
    item = rules.Restrictions(hosp_levels=frozenset({"2", "3"}))
    first_level = rules.VisitFacts(**{**VISIT.__dict__, "hosp_lv": "8"})  # 一级甲等
    assert _codes(item, ADULT_WOMAN, first_level) == ["RESTRICT_HOSP_LEVEL"]
    assert _codes(item, ADULT_WOMAN, VISIT) == []  # 二级甲等


def test_inpatient_only_fires_for_an_outpatient_and_not_for_an_inpatient() -> None:
    item = rules.Restrictions(inpatient_only=True)
    assert _codes(item, ADULT_WOMAN, VISIT) == ["RESTRICT_INPATIENT"]
    assert _codes(item, ADULT_WOMAN, rules.VisitFacts(**{**VISIT.__dict__, "inpatient": True})) == []


def test_work_injury_only_fires_outside_work_injury() -> None:
    item = rules.Restrictions(benefit_only=rules.WORK_INJURY)
    assert _codes(item, ADULT_WOMAN, VISIT) == ["RESTRICT_BENEFIT"]
    assert _codes(item, ADULT_WOMAN, rules.VisitFacts(**{**VISIT.__dict__, "work_injury": True})) == []


def test_insutype_restriction_fires_for_another_scheme() -> None:
    item = rules.Restrictions(insutypes=frozenset({"390"}))
    assert _codes(item, ADULT_WOMAN, VISIT) == ["RESTRICT_INSUTYPE"]
    assert _codes(item, ADULT_WOMAN, rules.VisitFacts(**{**VISIT.__dict__, "insutype": "390"})) == []


def test_max_days_fires_above_the_limit_and_not_at_it() -> None:
    item = rules.Restrictions(max_days=7)
    assert _codes(item, ADULT_WOMAN, rules.VisitFacts(**{**VISIT.__dict__, "days": 8})) == ["RESTRICT_DAYS"]
    assert _codes(item, ADULT_WOMAN, VISIT) == []


def test_every_broken_restriction_is_reported_together() -> None:
    item = rules.Restrictions(gend="2", age_min=18, inpatient_only=True, hosp_levels=frozenset({"3"}))
    assert _codes(item, CHILD, VISIT) == [
        "RESTRICT_SEX",
        "RESTRICT_AGE",
        "RESTRICT_HOSP_LEVEL",
        "RESTRICT_INPATIENT",
    ]
    assert rules.describe_restrictions(item) == ["限女性", "限18周岁及以上", "限三级医疗机构", "限住院"]


def test_an_unrestricted_item_never_fires() -> None:
    assert _codes(rules.Restrictions(indication="限二线用药"), CHILD, VISIT) == []
    assert rules.Restrictions(indication="限二线用药").any
    assert not rules.Restrictions().any


def test_hospital_tiers_follow_the_hosp_lv_dictionary() -> None:
    assert [rules.hospital_tier(c) for c in ("1", "2", "5", "7", "8", "11", None)] == [
        "3", "3", "2", "2", "1", "1", None,
    ]  # fmt: skip


# ------------------------------------------------------------------ price caps (002 §3)


def test_over_cap_part_is_stripped() -> None:
    # Price 12.00 yuan against a cap of 10.00 yuan, 3 units: 6.00 yuan is above the cap.
    assert rules.over_cap(1200, 3, 1000) == 600


def test_within_cap_or_without_cap_strips_nothing() -> None:
    assert rules.over_cap(1000, 3, 1000) == 0
    assert rules.over_cap(800, 3, 1000) == 0
    assert rules.over_cap(1200, 3, None) == 0


def test_decimal_quantities_round_half_up_to_the_fen() -> None:
    # (1.01 - 1.00) yuan × 0.5 = 0.5 fen → 1 fen (ROUND_HALF_UP)
    assert rules.over_cap(101, Decimal("0.5"), 100) == 1
    assert rules.over_cap(103, Decimal("0.5"), 100) == 2  # 1.5 fen → 2


def test_float_quantities_are_refused() -> None:
    with pytest.raises(BusinessError) as info:
        rules.over_cap(1200, 0.5, 1000)  # type: ignore[arg-type]
    assert info.value.code == "CATALOG_QUANTITY_FORMAT"


@given(
    st.integers(min_value=0, max_value=10**7),
    st.integers(min_value=0, max_value=1000),
    st.integers(min_value=0, max_value=10**7),
)
def test_over_cap_never_exceeds_the_line_and_is_never_negative(price: int, qty: int, cap: int) -> None:
    stripped = rules.over_cap(price, qty, cap)
    assert 0 <= stripped <= price * qty


def test_tier_cap_wins_over_the_single_cap() -> None:
    tiers = {"1": 8000, "2": 9000, "3": None}
    assert rules.applicable_cap(10000, tiers, "5") == 9000  # 二级甲等
    assert rules.applicable_cap(10000, tiers, "2") == 10000  # 三级甲等 has no tier cap
    assert rules.applicable_cap(None, tiers, None) is None


# ------------------------------------------------------------------ validating a row


def test_a_valid_drug_row_is_typed() -> None:
    spec = rules.validate_item(
        "drug",
        {"code": "xa01abd075a002010100483", "name": "地塞米松", "chrgitm_lv": "02", "selfpay_ratio": "10%",
         "price_cap": "1.50", "begin": "2024-01-01", "dosform": "170000", "restr_insutypes": "310，390"},
        BOOKS,
    )  # fmt: skip
    assert (spec.code, spec.selfpay_bp, spec.price_cap) == ("XA01ABD075A002010100483", 1000, 150)
    assert spec.restrictions.insutypes == frozenset({"310", "390"})


def test_every_bad_field_of_a_row_is_reported() -> None:
    with pytest.raises(BusinessError) as info:
        rules.validate_item(
            "service",
            {"code": "123", "name": "", "chrgitm_lv": "02", "begin": "2024-13-01", "price_cap_lv1": "1.234",
             "restr_gend": "3", "restr_insutypes": "999", "unit": "次", "dosform": "170000"},
            BOOKS,
        )  # fmt: skip
    fields = {e.field: e.code for e in info.value.errors}
    assert fields == {
        "code": "CATALOG_CODE_FORMAT",
        "name": "REQUIRED",
        "begin": "DATE_FORMAT",
        "selfpay_ratio": "CATALOG_RATIO_REQUIRED",
        "price_cap_lv1": "MONEY_PRECISION",
        "restr_gend": "CATALOG_RESTR_SEX",
        "restr_insutypes": "DICT_CODE",
        "med_chrgitm_type": "REQUIRED",
        "dosform": "CATALOG_FIELD_NOT_APPLICABLE",
    }


# ------------------------------------------------------------------ mapping states


@pytest.mark.parametrize(
    ("status", "action", "target"),
    [
        ("submitted", "approve", "approved"),
        ("submitted", "reject", "rejected"),
        ("approved", "revoke", "revoked"),
    ],
)
def test_legal_mapping_transitions(status: str, action: str, target: str) -> None:
    assert rules.mapping_transition(status, action) == target


@pytest.mark.parametrize(
    ("status", "action"),
    [("approved", "approve"), ("rejected", "approve"), ("rejected", "revoke"), ("submitted", "revoke"),
     ("revoked", "approve"), ("approved", "reject")],
)  # fmt: skip
def test_illegal_mapping_transitions_are_conflicts(status: str, action: str) -> None:
    with pytest.raises(BusinessError) as info:
        rules.mapping_transition(status, action)
    assert info.value.code == "MAPPING_STATE"
