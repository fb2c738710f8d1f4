"""WeChat Pay v3 adapter against the fake gateway on 127.0.0.1 (infra/fakes/wechat_server.py)."""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.providers import ProviderUnavailable, Refused
from chalicelib.providers.freshness import MemorySeen
from chalicelib.providers.wechat import WeChatPay
from infra.fakes import rsa_key
from infra.fakes.wechat_server import FakeWeChatPay, aead_encrypt

PLEDGE = "p_0123456789abcdef01234567"
OTHER = "p_89abcdef0123456789abcdef"
EXPIRES = datetime.now(UTC) + timedelta(minutes=30)
NOTIFY = "http://127.0.0.1:9/payments/wechat/notify"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeWeChatPay]:
    with FakeWeChatPay() as server:
        yield server


@pytest.fixture
def wx(fake: FakeWeChatPay) -> WeChatPay:
    fake.orders.clear()
    fake.requests.clear()
    fake.delay_seconds, fake.fail_status, fake.sign_replies_with = 0.0, None, None
    return WeChatPay(fake.secret_section(NOTIFY, timeout_seconds=0.3), seen=MemorySeen())


def order(wx: WeChatPay, pledge: str = PLEDGE, amount: int = 5000, channel: str = "native", hint: str | None = None):
    return wx.create_order(
        pledge_id=pledge,
        amount_fen=amount,
        description="希望小屋 · 认捐",
        expires_at=EXPIRES,
        channel=channel,
        payer_hint=hint,
    )


def paid_notification(fake: FakeWeChatPay, wx: WeChatPay, **kwargs: Any) -> tuple[dict[str, str], bytes]:
    order(wx)
    fake.pay(PLEDGE, deliver_to=False, openid="o_payer_0001")
    return fake.notification(PLEDGE, **kwargs)


def refused_code(wx: WeChatPay, headers: dict[str, str], body: bytes) -> str:
    with pytest.raises(Refused) as caught:
        wx.parse_notification(headers, body)
    assert " / " in caught.value.message, "bilingual: Chinese / English"
    assert 400 <= caught.value.status < 500
    return caught.value.code


# ---- orders -------------------------------------------------------------------------------------


def test_native_order_gives_a_qr_code_url_for_desktop(wx: WeChatPay, fake: FakeWeChatPay) -> None:
    checkout = order(wx)
    assert (checkout.provider, checkout.kind, checkout.params) == ("wechat", "qr", None)
    assert checkout.url == f"{fake.url}/pay/{PLEDGE}"
    placed = fake.orders[PLEDGE]
    assert (placed["total"], placed["notify_url"], placed["trade_type"]) == (5000, NOTIFY, "NATIVE")
    assert fake.requests == [("POST", "/v3/pay/transactions/native")]


def test_jsapi_order_gives_bridge_params_signed_with_the_merchant_key(wx: WeChatPay, fake: FakeWeChatPay) -> None:
    checkout = order(wx, channel="jsapi", hint="o_inside_wechat")
    assert checkout.kind == "jsapi" and checkout.url is None
    p = checkout.params
    assert p is not None and p["appId"] == fake.keys.appid and p["package"].startswith("prepay_id=wx")
    message = f"{p['appId']}\n{p['timeStamp']}\n{p['nonceStr']}\n{p['package']}\n".encode()
    fake.keys.merchant_key.public_key().verify(
        base64.b64decode(p["paySign"]), message, padding.PKCS1v15(), hashes.SHA256()
    )
    assert fake.orders[PLEDGE]["openid"] == "o_inside_wechat"


def test_h5_order_gives_a_redirect_and_needs_the_client_ip(wx: WeChatPay) -> None:
    with pytest.raises(Refused) as caught:
        order(wx, channel="h5")
    assert caught.value.code == "payer_hint_required"
    checkout = order(wx, channel="h5", hint="203.0.113.7")
    assert checkout.kind == "redirect" and checkout.url and checkout.url.endswith(f"/pay/{PLEDGE}")


def test_jsapi_needs_the_payers_openid_and_unknown_channels_are_refused(wx: WeChatPay) -> None:
    for channel, hint, code in [("jsapi", None, "payer_hint_required"), ("page", None, "unknown_channel")]:
        with pytest.raises(Refused) as caught:
            order(wx, channel=channel, hint=hint)
        assert caught.value.code == code


def test_requests_signed_with_another_merchant_key_are_refused_by_wechat(wx: WeChatPay, fake: FakeWeChatPay) -> None:
    section = fake.secret_section(NOTIFY, timeout_seconds=0.5)
    from infra.fakes import private_pem

    section["merchant_private_key"] = private_pem(rsa_key("someone-else"))
    with pytest.raises(Refused) as caught:
        order(WeChatPay(section))
    assert caught.value.code == "provider_refused" and "SIGN_ERROR" in caught.value.message


def test_paying_twice_is_refused_as_already_paid(wx: WeChatPay, fake: FakeWeChatPay) -> None:
    order(wx)
    fake.pay(PLEDGE, deliver_to=False)
    with pytest.raises(Refused) as caught:
        order(wx)
    assert (caught.value.code, caught.value.status) == ("already_paid", 409)


# ---- the provider failing -----------------------------------------------------------------------


def test_a_provider_that_times_out_is_unavailable(wx: WeChatPay, fake: FakeWeChatPay) -> None:
    fake.delay_seconds = 1.0
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable):
        order(wx)
    with pytest.raises(ProviderUnavailable):
        wx.query(PLEDGE)
    assert time.monotonic() - started < 2.5, "the adapter's timeout bounds the wait"


def test_a_provider_answering_5xx_is_unavailable(wx: WeChatPay, fake: FakeWeChatPay) -> None:
    fake.fail_status = 503
    with pytest.raises(ProviderUnavailable) as caught:
        order(wx)
    assert "503" in caught.value.message


def test_a_reply_not_signed_by_the_platform_is_unavailable_not_trusted(wx: WeChatPay, fake: FakeWeChatPay) -> None:
    fake.sign_replies_with = rsa_key("impostor")
    with pytest.raises(ProviderUnavailable) as caught:
        order(wx)
    assert "verified" in caught.value.message


# ---- reconciliation -----------------------------------------------------------------------------


def test_query_reconciles_a_missed_notification(wx: WeChatPay, fake: FakeWeChatPay) -> None:
    assert wx.query(PLEDGE) is None, "no such order at WeChat yet"
    order(wx)
    assert wx.query(PLEDGE) is None, "NOTPAY"
    fake.pay(PLEDGE, deliver_to=False, openid="o_payer_0001")
    payment = wx.query(PLEDGE)
    assert payment is not None
    assert (payment.provider, payment.pledge_id, payment.amount_fen, payment.payer_id) == (
        "wechat",
        PLEDGE,
        5000,
        "o_payer_0001",
    )
    assert payment.transaction_id == fake.orders[PLEDGE]["transaction_id"]
    assert payment.paid_at.tzinfo is not None


# ---- notifications ------------------------------------------------------------------------------


def test_paid_notification_gives_the_verified_payer_amount_and_time(wx: WeChatPay, fake: FakeWeChatPay) -> None:
    headers, body = paid_notification(fake, wx)
    payment = wx.parse_notification(headers, body)
    assert payment is not None
    assert (payment.pledge_id, payment.amount_fen, payment.payer_id) == (PLEDGE, 5000, "o_payer_0001")
    assert payment.paid_at == datetime.fromisoformat(fake.orders[PLEDGE]["success_time"])
    assert wx.acknowledge() == (204, {}, b"")


def test_headers_are_read_case_insensitively(wx: WeChatPay, fake: FakeWeChatPay) -> None:
    headers, body = paid_notification(fake, wx)
    assert wx.parse_notification({k.upper(): v for k, v in headers.items()}, body) is not None


def test_amount_mismatch_is_reported_in_the_payment_for_the_ledger(wx: WeChatPay, fake: FakeWeChatPay) -> None:
    order(wx)
    fake.pay(PLEDGE, deliver_to=False, paid_fen=4999)
    payment = wx.parse_notification(*fake.notification(PLEDGE))
    assert payment is not None and payment.amount_fen == 4999


def test_forged_notification_is_refused(wx: WeChatPay, fake: FakeWeChatPay) -> None:
    headers, body = paid_notification(fake, wx, key=rsa_key("forger"))
    assert refused_code(wx, headers, body) == "bad_signature"


def test_tampered_notification_body_is_refused(wx: WeChatPay, fake: FakeWeChatPay) -> None:
    headers, body = paid_notification(fake, wx)
    envelope = json.loads(body)
    envelope["summary"] = "tampered"
    assert refused_code(wx, headers, json.dumps(envelope, ensure_ascii=False).encode()) == "bad_signature"


@pytest.mark.parametrize("skew", [-301, 301, -86400])
def test_stale_notification_is_refused(wx: WeChatPay, fake: FakeWeChatPay, skew: int) -> None:
    signed = 1_800_000_000
    headers, body = paid_notification(fake, wx, timestamp=signed + skew)
    wx._now = lambda: signed  # the server's clock, fixed: the window is exact to the second
    assert refused_code(wx, headers, body) == "stale_notification"


def test_notification_inside_the_window_is_accepted(wx: WeChatPay, fake: FakeWeChatPay) -> None:
    signed = 1_800_000_000
    paid_notification(fake, wx)
    wx._now = lambda: signed
    for skew in (-300, 0, 300):
        headers, body = fake.notification(PLEDGE, timestamp=signed + skew)
        assert wx.parse_notification(headers, body) is not None


def test_replayed_notification_is_refused_but_a_fresh_retry_is_accepted(wx: WeChatPay, fake: FakeWeChatPay) -> None:
    headers, body = paid_notification(fake, wx)
    first = wx.parse_notification(headers, body)
    assert refused_code(wx, headers, body) == "replayed_notification"
    retry = wx.parse_notification(*fake.notification(PLEDGE))  # WeChat re-signs each delivery
    assert retry == first, "a second notification repeats the transaction id (the ledger counts it once)"


def test_a_refused_notification_does_not_burn_its_nonce(wx: WeChatPay, fake: FakeWeChatPay) -> None:
    seen_calls: list[str] = []
    wx.seen = lambda nonce, ttl: seen_calls.append(nonce) or False
    headers, body = paid_notification(fake, wx, key=rsa_key("forger"))
    refused_code(wx, headers, body)
    assert seen_calls == []
    wx.parse_notification(*fake.notification(PLEDGE))
    assert len(seen_calls) == 1 and seen_calls[0].startswith("wechat:")


def test_mis_encrypted_notification_is_refused(wx: WeChatPay, fake: FakeWeChatPay) -> None:
    headers, body = paid_notification(fake, wx, apiv3_key="0" * 32)
    assert refused_code(wx, headers, body) == "bad_ciphertext"


def test_notification_for_another_merchant_is_refused(wx: WeChatPay, fake: FakeWeChatPay) -> None:
    order(wx)
    fake.pay(PLEDGE, deliver_to=False)
    transaction = {**fake.transaction(PLEDGE), "mchid": "1999999999"}
    assert refused_code(wx, *fake.notification(PLEDGE, transaction=transaction)) == "wrong_merchant"


def test_an_authentic_closed_trade_is_no_payment(wx: WeChatPay, fake: FakeWeChatPay) -> None:
    order(wx)
    fake.orders[PLEDGE]["state"] = "CLOSED"
    assert wx.parse_notification(*fake.notification(PLEDGE)) is None


def test_notification_without_signature_headers_is_refused(wx: WeChatPay, fake: FakeWeChatPay) -> None:
    headers, body = paid_notification(fake, wx)
    for name in ("Wechatpay-Signature", "Wechatpay-Serial", "Wechatpay-Timestamp", "Wechatpay-Nonce"):
        assert refused_code(wx, {k: v for k, v in headers.items() if k != name}, body) == "missing_signature_headers"
    assert refused_code(wx, {**headers, "Wechatpay-Signature-Type": "SM2"}, body) == "unsupported_signature_type"


def test_unknown_serial_is_refused(wx: WeChatPay, fake: FakeWeChatPay) -> None:
    headers, body = paid_notification(fake, wx)
    assert refused_code(wx, {**headers, "Wechatpay-Serial": "PUB_KEY_ID_NOT_OURS"}, body) == "unknown_platform_serial"


def test_certificate_mode_downloads_the_platform_certificate_and_refreshes_at_most_every_five_minutes() -> None:
    with FakeWeChatPay(mode="certificate") as fake:
        clock = [1000.0]
        wx = WeChatPay(fake.secret_section(NOTIFY, timeout_seconds=0.5), monotonic=lambda: clock[0])
        headers, body = paid_notification(fake, wx)
        assert fake.requests[0] == ("GET", "/v3/certificates"), "the SDK fetched the certificate from the gateway"
        assert wx.parse_notification(headers, body) is not None
        forged = {**headers, "Wechatpay-Serial": "ABCDEF"}
        for _ in range(5):
            refused_code(wx, forged, body)
        assert fake.requests.count(("GET", "/v3/certificates")) == 1, "unknown serials do not call WeChat each time"
        clock[0] += 301
        refused_code(wx, forged, body)
        assert fake.requests.count(("GET", "/v3/certificates")) == 2


# ---- the whole path through the pay page ----------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    """Our notify_url: hands the raw request to the adapter and answers as the route would."""

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            payment = self.server.adapter.parse_notification(dict(self.headers.items()), body)  # type: ignore[attr-defined]
            self.server.payments.append(payment)  # type: ignore[attr-defined]
            status, headers, reply = self.server.adapter.acknowledge()  # type: ignore[attr-defined]
        except Refused as exc:
            status, headers, reply = exc.status, {"Content-Type": "application/json"}, json.dumps(exc.body()).encode()
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.payments = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_donor_confirming_on_the_pay_page_notifies_our_url_which_verifies_it(
    wx: WeChatPay, fake: FakeWeChatPay, receiver: Any
) -> None:
    notify = f"http://127.0.0.1:{receiver.server_address[1]}/notify"
    wx = WeChatPay(fake.secret_section(notify, timeout_seconds=0.5))  # this one's notify_url is the receiver
    receiver.adapter = wx
    checkout = order(wx)
    assert checkout.url is not None
    page = urllib.request.urlopen(checkout.url, timeout=5).read().decode()
    assert "本地模拟支付" in page and "确认支付" in page and "¥50.00" in page
    done = urllib.request.urlopen(urllib.request.Request(checkout.url, data=b"redirect_url=", method="POST"), timeout=5)
    assert "HTTP 204" in done.read().decode()
    assert fake.deliveries[-1] == (204, b"")
    (payment,) = receiver.payments
    assert payment is not None and payment.pledge_id == PLEDGE and payment.amount_fen == 5000


# ---- bad input never escapes as anything but Refused ------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    position=st.integers(min_value=0, max_value=10_000),
    byte=st.integers(min_value=0, max_value=255),
    header=st.sampled_from(["Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial", None]),
    junk=st.text(max_size=40),
)
def test_fuzzed_notifications_are_refused_never_crash(
    wx: WeChatPay, fake: FakeWeChatPay, position: int, byte: int, header: str | None, junk: str
) -> None:
    if PLEDGE not in fake.orders:
        order(wx)
        fake.pay(PLEDGE, deliver_to=False)
    headers, body = fake.notification(PLEDGE)
    if header:
        headers[header] = junk
    else:
        mutable = bytearray(body)
        index = position % len(mutable)
        if mutable[index] == byte:
            byte = (byte + 1) % 256
        mutable[index] = byte
        body = bytes(mutable)
    with pytest.raises(Refused):
        wx.parse_notification(headers, body)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    resource=st.dictionaries(
        st.sampled_from(["algorithm", "ciphertext", "nonce", "associated_data", "x"]), st.text(max_size=30)
    )
)
def test_authentically_signed_but_malformed_resources_are_refused(
    wx: WeChatPay, fake: FakeWeChatPay, resource: dict[str, str]
) -> None:
    body = json.dumps({"id": "EV-1", "resource_type": "encrypt-resource", "resource": resource})
    with pytest.raises(Refused):
        wx.parse_notification(fake.signed_headers(body), body.encode())


def test_decrypted_resource_that_is_not_a_transaction_is_refused(wx: WeChatPay, fake: FakeWeChatPay) -> None:
    resource = aead_encrypt(
        fake.keys.apiv3_key,
        json.dumps({"trade_state": "SUCCESS", "mchid": fake.keys.mchid, "appid": fake.keys.appid}),
        "transaction",
    )
    body = json.dumps({"id": "EV-2", "resource_type": "encrypt-resource", "resource": resource})
    assert refused_code(wx, fake.signed_headers(body), body.encode()) == "malformed_notification"
