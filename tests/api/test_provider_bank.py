"""Bank transfer (对公转账): the account and reference shown, an operator's confirmation validated."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.providers import Refused
from chalicelib.providers.bank import BankTransfer, pledge_of, reference

PLEDGE = "p_0123456789abcdef01234567"
ACCOUNT = {
    "account_name": "某县青少年发展基金会",
    "bank_name": "中国工商银行某县支行",
    "account_number": "1234567890123456789",
}


def confirmation(**changes: object) -> bytes:
    body: dict[str, object] = {
        "reference": reference(PLEDGE),
        "payer_account": "6222 0000 1111 2222",
        "amount_fen": 20000,
        "paid_at": "2026-12-01T10:00:00+08:00",
        "bank_serial": "ICBC20261201000123",
    }
    body.update(changes)
    return json.dumps(body).encode()


def test_checkout_shows_the_charitys_account_and_a_reference() -> None:
    checkout = BankTransfer(ACCOUNT).create_order(
        pledge_id=PLEDGE,
        amount_fen=20000,
        description="x",
        expires_at=datetime.now(UTC) + timedelta(days=7),
        channel="bank",
    )
    assert checkout.kind == "bank" and checkout.url is None and checkout.params is not None
    assert checkout.params["account_number"] == ACCOUNT["account_number"]
    assert pledge_of(checkout.params["reference"]) == PLEDGE


def test_operator_confirmation_gives_a_payment_keyed_on_the_payer_account() -> None:
    bank = BankTransfer(ACCOUNT)
    payment = bank.parse_notification({}, confirmation())
    assert payment is not None
    assert (payment.provider, payment.pledge_id, payment.amount_fen) == ("bank", PLEDGE, 20000)
    assert payment.payer_id == "6222000011112222" and payment.transaction_id == "bank:ICBC20261201000123"
    assert payment.paid_at.utcoffset() == timedelta(hours=8)
    assert bank.query(PLEDGE) is None, "no bank API: the statement is read by an operator"


@given(
    st.text(alphabet="0123456789abcdef", min_size=24, max_size=24),
    st.integers(0, 25),
    st.sampled_from("0123456789ABCDEF"),
)
def test_a_mistyped_reference_is_refused_not_matched_to_another_pledge(hexpart: str, index: int, char: str) -> None:
    good = reference("p_" + hexpart)
    assert pledge_of(good.lower()) == "p_" + hexpart, "case and spacing do not matter"
    typo = good[: 2 + index] + char + good[3 + index :]
    if typo != good:
        with pytest.raises(Refused) as caught:
            pledge_of(typo)
        assert caught.value.code == "bad_reference"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"payer_account": "12ab"}, "bad_payer_account"),
        ({"amount_fen": 0}, "invalid_amount"),
        ({"amount_fen": 12.5}, "invalid_amount"),
        ({"amount_fen": True}, "invalid_amount"),
        ({"bank_serial": ""}, "bad_bank_serial"),
        ({"paid_at": "yesterday"}, "bad_paid_at"),
        ({"extra": 1}, "invalid_body"),
    ],
)
def test_bad_confirmations_are_refused_with_a_clear_code(changes: dict[str, object], code: str) -> None:
    with pytest.raises(Refused) as caught:
        BankTransfer(ACCOUNT).parse_notification({}, confirmation(**changes))
    assert caught.value.code == code and " / " in caught.value.message


def test_non_json_confirmation_is_refused() -> None:
    for body in (b"\xff", b"[1]", b"{"):
        with pytest.raises(Refused):
            BankTransfer(ACCOUNT).parse_notification({}, body)
