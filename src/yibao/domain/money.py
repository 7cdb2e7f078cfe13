"""Money is integer fen (分) inside yibao; yuan with two decimals only at the edges."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from yibao.domain.errors import invalid

Fen = int

_CENT = Decimal("0.01")


def yuan_to_fen(value: str | int | Decimal, *, field: str = "amount") -> Fen:
    """Convert a yuan amount (at most two decimals) to fen; refuse floats and finer fractions."""
    if isinstance(value, bool | float):
        raise invalid("MONEY_NOT_DECIMAL", field, f"字段 {field} 金额必须以字符串或整数给出，不接受浮点数")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise invalid("MONEY_FORMAT", field, f"字段 {field} 不是有效金额：{value!r}") from exc
    if not amount.is_finite():
        raise invalid("MONEY_FORMAT", field, f"字段 {field} 不是有效金额：{value!r}")
    if amount != amount.quantize(_CENT):
        raise invalid("MONEY_PRECISION", field, f"字段 {field} 金额最多两位小数：{value!r}")
    return int(amount * 100)


def fen_to_yuan(fen: Fen) -> str:
    """Format fen as yuan with exactly two decimals ("12.30")."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def ratio_of(amount: Fen, ratio: Decimal) -> Fen:
    """Apply a ratio to an amount, rounding half up to the fen (the one rounding place)."""
    return int((Decimal(amount) * ratio).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def require_non_negative(amount: Fen, *, field: str) -> Fen:
    """Refuse a negative amount where only zero or more makes sense."""
    if amount < 0:
        raise invalid("MONEY_NEGATIVE", field, f"字段 {field} 金额不能为负数")
    return amount
