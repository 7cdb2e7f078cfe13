"""Policy files: every sample parses; each broken rule is refused with its key path; file form; diff."""

from __future__ import annotations

import json

import pytest

from tests.policy.helpers import EMPLOYEES_2024, RESIDENTS_2024, RESIDENTS_2025, SAMPLES, change, sample
from yibao.domain.errors import BusinessError
from yibao.domain.policy import Category, policy_json_schema
from yibao.domain.policy_diff import diff_documents, file_form, format_value, units
from yibao.policy.document import decode, dump, load_document, parse_file, sha256_of
from yibao.policy.terms import TERMS, describe


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_file_parses_and_survives_the_stored_form(name: str) -> None:
    policy = parse_file(sample(name))
    assert policy.admdvs == "439901"
    assert load_document(dump(policy)) == policy


def test_the_samples_together_use_every_feature_of_the_model() -> None:
    employees, residents = parse_file(sample(EMPLOYEES_2024)), parse_file(sample(RESIDENTS_2024))
    rules = employees.benefits + residents.benefits
    assert {r.category for r in rules} == set(Category)
    inpatient = employees.rule_for("2101")
    assert inpatient is not None and inpatient.deductible == {"1": 20000, "2": 50000, "3": 80000}
    assert [str(f) for f in inpatient.repeat_factors] == ["1", "0.5"] and inpatient.bands
    assert str(inpatient.retired_add) == "0.03" and employees.caps["pool"] == 15_000_000
    assert residents.rule_for("2101").group_tilts["2304"].deductible_factor == 0  # type: ignore[union-attr]
    assert any(r.fixed_amount for r in rules) and any(r.disease_limits for r in rules)
    assert any(r.deductible_scope == "year" for r in rules) and residents.rule_for("9901") is not None
    assert employees.cvlserv and employees.account and employees.hifmi.base == "over_basic_cap"  # type: ignore[union-attr]
    assert residents.hifmi and residents.hifmi.base == "personal_burden" and residents.hifmi.group_tilts
    assert residents.maf and residents.maf.groups["2304"].ratio == 1 and residents.account is None
    assert "N97" in employees.exclusions.diagnosis_prefixes
    assert employees.exclusions.injury_causes["无第三方责任意外"] is True
    assert employees.exclusions.injury_causes["打架斗殴"] is False


def _refused(text: str) -> BusinessError:
    with pytest.raises(BusinessError) as caught:
        parse_file(text)
    return caught.value


BASE = sample(EMPLOYEES_2024)


@pytest.mark.parametrize(
    ("text", "path", "words"),
    [
        (change(BASE, "pool", "150000.5"), "caps.pool", "不接受浮点数"),
        (change(BASE, "default_selfpay_ratio", '"1.2"'), "default_selfpay_ratio", "0 到 1"),
        (BASE.replace('version = "2024"', 'version = "2024"\nfoo = 1'), "foo", "不允许的字段"),
        (
            BASE.replace('ratio = { "1" = "0.90", "2" = "0.87", "3" = "0.85" }', 'ratio = { "1" = "0.90" }'),
            "benefits.0",
            "缺少",
        ),
        (BASE.replace('caps = ["outpatient"]', 'caps = ["nosuchcap"]'), "body", "nosuchcap"),
        (BASE.replace('med_types = ["14"]', 'med_types = ["14", "2101"]'), "body", "2101"),
        (
            BASE.replace("begin = 2024-01-01", "begin = 2024-01-01\nend = 2023-12-31"),
            "body",
            "end 不能早于 begin",
        ),
        (change(BASE, "pool", '"150000.123"'), "caps.pool", "两位小数"),
    ],
    ids=[
        "float-amount",
        "ratio-above-one",
        "unknown-key",
        "missing-level",
        "undefined-cap",
        "med-type-twice",
        "end-before-begin",
        "three-decimals",
    ],
)
def test_a_broken_document_is_refused_with_the_key_path(text: str, path: str, words: str) -> None:
    error = _refused(text)
    assert error.code == "POLICY_INVALID"
    assert any(e.field == path and words in e.message for e in error.errors), error.as_dict()


def test_a_toml_syntax_error_names_the_line() -> None:
    error = _refused('admdvs = "439901"\ncaps = = 1\n')
    assert error.code == "POLICY_TOML" and error.field == "toml" and "line 2" in error.message


def test_every_float_is_reported_at_once() -> None:
    error = _refused(change(change(BASE, "pool", "1.5"), "default_selfpay_ratio", "0.1"))
    assert {e.field for e in error.errors} == {"caps.pool", "default_selfpay_ratio"}


def test_an_upload_must_be_utf8() -> None:
    with pytest.raises(BusinessError) as caught:
        decode("名称".encode("gbk"))
    assert caught.value.code == "POLICY_ENCODING" and caught.value.field == "file"
    assert decode("\ufeffa = 1".encode()) == "a = 1"


def test_the_file_form_shows_amounts_in_yuan_and_keeps_ratios() -> None:
    stored = json.loads(dump(parse_file(BASE)))
    assert stored["caps"]["pool"] == 15_000_000
    shown = file_form(stored)
    assert shown["caps"]["pool"] == "150000.00"
    assert shown["benefits"][0]["deductible"] == {"1": "200.00", "2": "500.00", "3": "800.00"}
    assert shown["benefits"][0]["ratio"]["3"] == "0.85"
    kinds = units(shown)
    assert kinds["caps.pool"] == "yuan" and kinds["benefits.0.ratio.1"] == "ratio"
    assert kinds["benefits.0.retired_add"] == "points" and kinds["hifmi.yearly_cap"] == "yuan"


def test_the_diff_lists_exactly_the_changed_keys() -> None:
    old = file_form(json.loads(dump(parse_file(sample(RESIDENTS_2024)))))
    new = file_form(json.loads(dump(parse_file(sample(RESIDENTS_2025)))))
    changes = {c.path: (c.old, c.new) for c in diff_documents(old, new)}
    assert changes == {
        "name": ("示范市城乡居民基本医疗保险待遇政策（2024）", "示范市城乡居民基本医疗保险待遇政策（2025）"),
        "version": ("2024", "2025"),
        "begin": ("2024-01-01", "2025-01-01"),
        "caps.pool": ("100000.00", "120000.00"),
        "benefits.0.ratio.3": ("0.55", "0.60"),
    }


def test_a_key_present_on_one_side_only_shows_none_on_the_other() -> None:
    changes = diff_documents({"a": {"b": 1}, "l": [1, 2]}, {"a": {"c": 2}, "l": [1, 2]})
    assert [(c.path, c.old, c.new) for c in changes] == [("a.b", 1, None), ("a.c", None, 2)]
    assert diff_documents({"x": [{"y": 1}]}, {"x": [{"y": 1}]}) == []


def test_values_are_shown_in_yuan_percent_and_points() -> None:
    assert format_value("yuan", "120000.00") == "120000.00 元"
    assert format_value("ratio", "0.55") == "55%"
    assert format_value("points", "0.03") == "+3%"
    assert format_value("ratio", ["1", "0.5"]) == "100%、50%"
    assert format_value(None, None) == "—" and format_value(None, True) == "是"


def test_every_key_of_the_schema_has_a_chinese_term_and_description() -> None:
    schema = policy_json_schema()
    models = [schema, *schema["$defs"].values()]
    for model in models:
        for key, prop in model.get("properties", {}).items():
            assert key in TERMS, key
            assert prop.get("description"), key
    assert describe("benefits.0.deductible.3") == "统筹基金待遇 › 第1条 › 起付线 › 三级"


def test_the_checksum_is_of_the_text() -> None:
    assert sha256_of("a") == "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"


def test_the_file_schema_refuses_floats_and_accepts_what_the_samples_write() -> None:
    import re
    import tomllib

    from yibao.domain.policy_diff import typed_leaves
    from yibao.policy.document import file_schema

    text = json.dumps(file_schema())
    assert '"number"' not in text and '"$comment"' in text
    amount = re.compile(r"^\d+(\.\d{1,2})?$")
    decimal = re.compile(r"^-?\d+(\.\d+)?$")
    for name in SAMPLES:
        for path, kind, value in typed_leaves(tomllib.loads(sample(name))):
            if kind == "yuan":
                assert isinstance(value, int) or amount.match(value), path
            else:
                assert isinstance(value, str) and decimal.match(value), path
