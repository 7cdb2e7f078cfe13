"""Resident ID (居民身份证) and USCC (统一社会信用代码) checks, and masking."""

from datetime import date

import pytest

from yibao.domain.errors import BusinessError
from yibao.domain.identity import age_on, check_uscc, mask_id, parse_resident_id


def test_valid_id_gives_sex_and_birth_date() -> None:
    rid = parse_resident_id("11010519491231002x")
    assert rid.number == "11010519491231002X"
    assert rid.birth_date == date(1949, 12, 31)
    assert rid.gender == "2"  # 17th digit 2 is even: female


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("110105194912310021", "ID_CHECKSUM"),
        ("1101051949123100", "ID_LENGTH"),
        ("110105194902300028", "ID_BIRTH_DATE"),
        ("990105194912310021", "ID_PLACE"),
        ("11010519491231002Y", "ID_FORMAT"),
    ],
)
def test_bad_ids_are_refused_with_a_stable_code(number: str, code: str) -> None:
    with pytest.raises(BusinessError) as info:
        parse_resident_id(number, field="certno")
    assert info.value.code in {code, "ID_FORMAT"}
    assert info.value.field == "certno"


def test_an_id_from_a_county_code_outside_the_library_tables_is_accepted() -> None:
    # 439901 is a county code no published table lists; the ID is otherwise well formed.
    base = "43990119800101001"
    check = next(c for c in "0123456789X" if _checks(base + c))
    rid = parse_resident_id(base + check)
    assert rid.birth_date == date(1980, 1, 1)
    assert rid.gender == "1"


def _checks(number: str) -> bool:
    try:
        parse_resident_id(number)
    except BusinessError:
        return False
    return True


def test_uscc_checksum() -> None:
    assert check_uscc("91110000600037341l") == "91110000600037341L"
    with pytest.raises(BusinessError) as info:
        check_uscc("91110000600037341M", field="uscc")
    assert info.value.code == "USCC_CHECKSUM"


def test_mask_keeps_three_and_four() -> None:
    assert mask_id("110105194912310021") == "110***********0021"


def test_age_counts_full_years() -> None:
    assert age_on(date(2000, 6, 15), date(2020, 6, 14)) == 19
    assert age_on(date(2000, 6, 15), date(2020, 6, 15)) == 20
