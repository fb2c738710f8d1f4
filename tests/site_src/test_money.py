"""Money: editors write yuan; the model keeps exact integer fen and refuses anything finer."""

from __future__ import annotations

from decimal import Decimal

import pytest

from site_src.money import MoneyError, fen_to_yuan_text, non_negative_fen, yuan_to_fen


@pytest.mark.parametrize(
    ("written", "fen"),
    [
        (260600, 26060000), ("26.06万", 26060000), ("¥260,600.00", 26060000), ("99.85万元", 99850000),
        ("1,779,300", 177930000), (0.1, 10), (0.29, 29), (9800.55, 980055), ("￥12.5", 1250), ("0.000001万", 1),
        (Decimal("1.10"), 110), ("52.02 万", 52020000), (0, 0),
    ],
)
def test_money_converts_exactly_to_fen(written: object, fen: int) -> None:
    assert yuan_to_fen(written) == fen


@pytest.mark.parametrize("written", [1.234, "1.001", "0.0000001万", "¥0.005"])
def test_money_refuses_a_third_decimal(written: object) -> None:
    with pytest.raises(MoneyError) as exc:
        yuan_to_fen(written)
    assert exc.value.code == "money.precision"


@pytest.mark.parametrize("written", ["26.06千", "abc", "1,2,3", "¥2,00,00", "", "万", True, None, [1]])
def test_money_refuses_what_it_cannot_read(written: object) -> None:
    with pytest.raises(MoneyError):
        yuan_to_fen(written)


def test_money_refuses_negative_amounts() -> None:
    with pytest.raises(MoneyError) as exc:
        non_negative_fen(-5)
    assert exc.value.code == "money.negative"


@pytest.mark.parametrize(("fen", "text"), [(26060000, "260600"), (123, "1.23"), (980050, "9800.5"), (0, "0")])
def test_fen_to_yuan_text(fen: int, text: str) -> None:
    assert fen_to_yuan_text(fen) == text
