"""Identity numbers: resident ID (居民身份证), unified social credit code (统一社会信用代码), masking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from yibao.domain.errors import invalid

MALE = "1"  # gend dictionary: 1 男
FEMALE = "2"  # 2 女


@dataclass(frozen=True)
class ResidentId:
    """A checked 18-digit resident ID with the sex and birth date it encodes."""

    number: str
    birth_date: date
    gender: str  # gend code: "1" male, "2" female


# First two digits of a resident ID: the province-level division of the birthplace (GB/T 2260).
PROVINCE_CODES = frozenset(
    {
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    }
)


def parse_resident_id(value: str, *, field: str = "certno") -> ResidentId:
    """Check an 18-digit resident ID (format, province, birth date, checksum); derive sex and birth date.

    The birthplace is checked to the province only: county codes change over the years and IDs issued
    under retired or newly created county codes stay valid for life, so a county list would refuse
    real people.
    """
    number = (value or "").strip().upper()
    if len(number) != 18:
        raise invalid("ID_LENGTH", field, f"字段 {field} 身份证号必须为18位，实际 {len(number)} 位")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise invalid("ID_FORMAT", field, f"字段 {field} 身份证号前17位必须为数字，末位为数字或 X")
    if number[:2] not in PROVINCE_CODES:
        raise invalid(
            "ID_PLACE", field, f"字段 {field} 身份证号前两位 {number[:2]} 不是有效的省级行政区划代码"
        )
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise invalid("ID_BIRTH_DATE", field, f"字段 {field} 身份证号中的出生日期无效") from exc
    if ric.calc_check_digit(number) != number[17]:
        raise invalid("ID_CHECKSUM", field, f"字段 {field} 身份证号校验位错误")
    gender = MALE if int(number[16]) % 2 == 1 else FEMALE
    return ResidentId(number=number, birth_date=birth, gender=gender)


def check_uscc(value: str, *, field: str = "uscc") -> str:
    """Check a unified social credit code (18 characters, GB 32100 checksum); return it compacted."""
    code = (value or "").strip().upper()
    if len(code) != 18:
        raise invalid("USCC_LENGTH", field, f"字段 {field} 统一社会信用代码必须为18位，实际 {len(code)} 位")
    try:
        uscc.validate(code)
    except ValidationError as exc:
        if type(exc).__name__ == "InvalidChecksum":
            raise invalid("USCC_CHECKSUM", field, f"字段 {field} 统一社会信用代码校验位错误") from exc
        raise invalid("USCC_FORMAT", field, f"字段 {field} 统一社会信用代码格式错误") from exc
    return code


def mask_id(number: str) -> str:
    """Mask an ID for roles that may not see it: first 3 and last 4 characters kept."""
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def age_on(birth: date, day: date) -> int:
    """Full years of age on `day`."""
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years
