"""Reading the ICD code lists and crosswalks (pure): BOMs, blank lines, names with blanks, bad lines."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from yibao.domain.reference import normalize_code, parse_code_list, parse_code_only, parse_pairs


def test_a_byte_order_mark_on_the_first_line_is_not_part_of_the_code() -> None:
    parsed = parse_code_only(["\ufeffA00.000", "A00.100"])
    assert list(parsed.names) == ["A00.000", "A00.100"]
    assert not parsed.bad


def test_names_keep_their_inner_blanks_and_blank_lines_are_ignored() -> None:
    parsed = parse_code_list(["C82.701 恶性淋巴瘤 淋巴细胞性 高分化 结节性", "", "   ", "A00.000 霍乱"])
    assert parsed.names == {"C82.701": "恶性淋巴瘤 淋巴细胞性 高分化 结节性", "A00.000": "霍乱"}
    assert not parsed.bad and not parsed.duplicates


def test_unreadable_lines_are_counted_with_their_line_number_and_reason() -> None:
    parsed = parse_code_list(["A00.000 霍乱", "B99.999", "坏 行", "A01.0\ufffd 乱码", "A00.100 霍乱"])
    assert list(parsed.names) == ["A00.000", "A00.100"]
    assert [(b.line, b.reason) for b in parsed.bad] == [
        (2, "缺少名称"),
        (3, "代码含有非法字符"),
        (4, "含有无法解码的字节"),
    ]


def test_a_repeated_code_keeps_the_first_name_and_is_reported() -> None:
    parsed = parse_code_list(["00.7400 过饱和氧化治疗", "00.7400 髋轴面，金属与聚乙烯"])
    assert parsed.names == {"00.7400": "过饱和氧化治疗"}
    assert len(parsed.duplicates) == 1 and "过饱和氧化治疗" in parsed.duplicates[0].reason


def test_the_clinical_dagger_is_written_as_plus_like_in_the_crosswalks() -> None:
    assert normalize_code(" A01.000x003†G01* ") == "A01.000x003+G01*"
    parsed = parse_code_list(["A01.000x003†G01* 伤寒并发脑膜炎"])
    assert parsed.names == {"A01.000x003+G01*": "伤寒并发脑膜炎"}


def test_a_crosswalk_code_may_map_to_several_targets_and_repeated_pairs_count_once() -> None:
    parsed = parse_pairs(
        ["A00.000 A00.000", "X01.000 Y01.000", "X01.000 Y02.000", "X01.000 Y01.000", "A B C"]
    )
    assert parsed.targets() == {"A00.000": ("A00.000",), "X01.000": ("Y01.000", "Y02.000")}
    assert len(parsed.duplicates) == 1
    assert [b.line for b in parsed.bad] == [5]


def test_a_gray_line_with_two_codes_is_unreadable() -> None:
    parsed = parse_code_only(["A00.000 A00.100"])
    assert not parsed.names and parsed.bad[0].reason == "一行只能有一个代码"


_codes = st.from_regex(r"[A-Z][0-9]{2}\.[0-9]{3}(x[0-9]{3})?", fullmatch=True)
_names = st.text(alphabet=st.sampled_from("霍乱伤寒肺炎 （）abc"), min_size=1, max_size=12).filter(str.strip)


@given(st.lists(st.tuples(_codes, _names), max_size=40), st.lists(st.sampled_from(["", "  "]), max_size=5))
def test_every_non_blank_line_is_either_loaded_repeated_or_reported(
    rows: list[tuple[str, str]], blanks: list[str]
) -> None:
    lines = [f"{code} {name}" for code, name in rows] + blanks
    parsed = parse_code_list(lines)
    assert len(parsed.names) + len(parsed.duplicates) + len(parsed.bad) == len(rows)
    assert set(parsed.names) == {code for code, _ in rows}
