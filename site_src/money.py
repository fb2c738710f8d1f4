"""Money as editors write it (yuan) turned into what the code keeps (integer fen).

Editors write ``260600``, ``"26.06万"``, ``"¥260,600.00"`` or ``"99.85万元"``.
Everything is parsed with :class:`decimal.Decimal`, never ``float``, and a value
that is not a whole number of fen is refused instead of rounded.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

FEN_PER_YUAN = 100
WAN = 10_000

_MONEY = re.compile(r"^(?P<sign>-?)[¥￥]?\s*(?P<num>[0-9][0-9,]*(?:\.[0-9]+)?)\s*(?P<wan>万)?\s*元?$")


class MoneyError(ValueError):
    """A money value that cannot be turned into whole fen."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.code, self.zh, self.en = code, zh, en


def yuan_to_fen(value: Any) -> int:
    """Convert an editor's yuan amount into integer fen, exactly."""
    if isinstance(value, bool):
        raise MoneyError("money.type", "金额必须是数字，不是 true/false", "an amount must be a number, not true/false")
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        # YAML gave us a float: go back to the digits the editor typed.
        amount = Decimal(repr(value))
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        match = _MONEY.match(value.strip())
        if not match or "," in match["num"] and not re.fullmatch(r"[0-9]{1,3}(,[0-9]{3})*(\.[0-9]+)?", match["num"]):
            raise MoneyError(
                "money.format",
                f"无法识别的金额“{value}”，请写成 260600、\"26.06万\" 或 \"¥260,600.00\"",
                f"cannot read the amount {value!r}; write 260600, \"26.06万\" or \"¥260,600.00\"",
            )
        try:
            amount = Decimal(match["num"].replace(",", ""))
        except InvalidOperation as exc:  # pragma: no cover - the pattern already guarantees digits
            raise MoneyError("money.format", f"无法识别的金额“{value}”", f"cannot read the amount {value!r}") from exc
        if match["wan"]:
            amount *= WAN
        if match["sign"]:
            amount = -amount
    else:
        raise MoneyError("money.type", "金额必须是数字或金额文本", "an amount must be a number or a money string")
    fen = amount * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise MoneyError(
            "money.precision",
            f"金额 {value} 精确到了分以下（最多两位小数）",
            f"the amount {value} is finer than one fen (at most two decimals in yuan)",
        )
    return int(fen)


def non_negative_fen(value: Any) -> int:
    fen = yuan_to_fen(value)
    if fen < 0:
        raise MoneyError("money.negative", f"金额 {value} 不能为负数", f"the amount {value} must not be negative")
    return fen


def _pydantic_fen(value: Any) -> int:
    try:
        return non_negative_fen(value)
    except MoneyError as exc:
        raise PydanticCustomError(exc.code, "{zh} / {en}", {"zh": exc.zh, "en": exc.en}) from None


_MONEY_SCHEMA = {
    "description": "金额（元）：260600、\"26.06万\" 或 \"¥260,600.00\"，最多两位小数 / "
                   "amount in yuan: 260600, \"26.06万\" or \"¥260,600.00\", at most two decimals",
    "examples": [260600, "26.06万", "¥260,600.00"],
    "anyOf": [
        {"type": "number", "minimum": 0, "multipleOf": 0.01},
        {"type": "string", "pattern": _MONEY.pattern},
    ],
}

#: A field editors write in yuan and the model keeps as integer fen.
Fen = Annotated[int, BeforeValidator(_pydantic_fen), WithJsonSchema(_MONEY_SCHEMA)]


def fen_to_yuan_text(fen: int) -> str:
    """Plain text for messages: 26060000 -> '260600', 123 -> '1.23'."""
    yuan = Decimal(fen) / FEN_PER_YUAN
    return f"{yuan:f}".rstrip("0").rstrip(".") if "." in f"{yuan:f}" else f"{yuan:f}"
