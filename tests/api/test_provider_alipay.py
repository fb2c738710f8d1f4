"""Alipay adapter against the fake gateway on 127.0.0.1 (infra/fakes/alipay_server.py)."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.providers import ProviderUnavailable, Refused
from chalicelib.providers.alipay import AliPay, fen_of, yuan
from chalicelib.providers.freshness import MemorySeen
from infra.fakes import rsa_key
from infra.fakes.alipay_server import BEIJING, TIME_FORMAT, FakeAlipay

PLEDGE = "p_0123456789abcdef01234567"
EXPIRES = datetime.now(UTC) + timedelta(minutes=30)
NOTIFY = "http://127.0.0.1:9/payments/alipay/notify"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeAlipay]:
    with FakeAlipay() as server:
        yield server


@pytest.fixture
def ali(fake: FakeAlipay) -> AliPay:
    fake.orders.clear()
    fake.requests.clear()
    fake.delay_seconds, fake.fail_status, fake.sign_replies_with = 0.0, None, None
    return AliPay(fake.secret_section(NOTIFY, timeout_seconds=0.3), seen=MemorySeen())


def open_cashier(ali: AliPay, channel: str = "page", amount: int = 5000) -> str:
    checkout = ali.create_order(
        pledge_id=PLEDGE, amount_fen=amount, description="希望小屋 · 认捐", expires_at=EXPIRES, channel=channel
    )
    assert checkout.kind == "redirect" and checkout.url
    return urllib.request.urlopen(checkout.url, timeout=5).read().decode()


def paid(fake: FakeAlipay, ali: AliPay, **kwargs: str) -> tuple[dict[str, str], bytes]:
    open_cashier(ali)
    fake.pay(PLEDGE, deliver_to=False)
    return fake.notification(PLEDGE, **kwargs)


def refused_code(ali: AliPay, headers: dict[str, str], body: bytes) -> str:
    with pytest.raises(Refused) as caught:
        ali.parse_notification(headers, body)
    assert " / " in caught.value.message and 400 <= caught.value.status < 500
    return caught.value.code


def reform(body: bytes, **changes: str | None) -> bytes:
    params = dict(parse_qsl(body.decode(), keep_blank_values=True))
    for k, v in changes.items():
        if v is None:
            params.pop(k, None)
        else:
            params[k] = v
    return urlencode(params).encode()


# ---- orders -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("channel", "product"), [("page", "FAST_INSTANT_TRADE_PAY"), ("wap", "QUICK_WAP_WAY")])
def test_page_and_wap_pay_are_signed_urls_the_gateway_accepts(
    ali: AliPay, fake: FakeAlipay, channel: str, product: str
) -> None:
    page = open_cashier(ali, channel)
    assert "本地模拟支付" in page and "确认支付" in page and "¥50.00" in page
    order = fake.orders[PLEDGE]
    assert (order["total_amount"], order["product_code"], order["notify_url"]) == ("50.00", product, NOTIFY)


def test_a_tampered_pay_url_is_refused_by_the_gateway(ali: AliPay) -> None:
    url = ali.create_order(pledge_id=PLEDGE, amount_fen=5000, description="x", expires_at=EXPIRES, channel="page").url
    assert url is not None
    split = urlsplit(url)
    params = dict(parse_qsl(split.query))
    params["biz_content"] = params["biz_content"].replace("50.00", "0.01")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{split.scheme}://{split.netloc}{split.path}?{urlencode(params)}", timeout=5)
    assert caught.value.code == 400 and "isv.invalid-signature" in caught.value.read().decode()


def test_requests_carry_beijing_time_whatever_the_machines_zone(ali: AliPay) -> None:
    url = ali.create_order(pledge_id=PLEDGE, amount_fen=1, description="x", expires_at=EXPIRES, channel="page").url
    stamped = datetime.strptime(dict(parse_qsl(urlsplit(url or "").query))["timestamp"], TIME_FORMAT)
    assert abs(stamped.replace(tzinfo=BEIJING).timestamp() - time.time()) < 60


def test_unknown_channel_is_refused(ali: AliPay) -> None:
    with pytest.raises(Refused) as caught:
        ali.create_order(pledge_id=PLEDGE, amount_fen=1, description="x", expires_at=EXPIRES, channel="native")
    assert caught.value.code == "unknown_channel"


# ---- reconciliation and failures ------------------------------------------------------------------


def test_query_reconciles_a_missed_notification(ali: AliPay, fake: FakeAlipay) -> None:
    assert ali.query(PLEDGE) is None, "ACQ.TRADE_NOT_EXIST: the donor never reached the cashier"
    open_cashier(ali)
    assert ali.query(PLEDGE) is None, "WAIT_BUYER_PAY"
    order = fake.pay(PLEDGE, deliver_to=False)
    payment = ali.query(PLEDGE)
    assert payment is not None
    assert (payment.provider, payment.pledge_id, payment.amount_fen) == ("alipay", PLEDGE, 5000)
    assert (payment.transaction_id, payment.payer_id) == (order["trade_no"], order["buyer_id"])
    assert fake.requests.count("alipay.trade.query") == 3


def test_a_provider_that_times_out_is_unavailable(ali: AliPay, fake: FakeAlipay) -> None:
    fake.delay_seconds = 1.0
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable):
        ali.query(PLEDGE)
    assert time.monotonic() - started < 2.5


def test_a_provider_answering_5xx_is_unavailable(ali: AliPay, fake: FakeAlipay) -> None:
    fake.fail_status = 502
    with pytest.raises(ProviderUnavailable):
        ali.query(PLEDGE)


def test_a_reply_not_signed_by_alipay_is_unavailable_not_trusted(ali: AliPay, fake: FakeAlipay) -> None:
    open_cashier(ali)
    fake.pay(PLEDGE, deliver_to=False)
    fake.sign_replies_with = rsa_key("impostor")
    with pytest.raises(ProviderUnavailable) as caught:
        ali.query(PLEDGE)
    assert "verify" in caught.value.message


def test_a_query_signed_with_another_app_key_is_refused_by_alipay(ali: AliPay, fake: FakeAlipay) -> None:
    from infra.fakes import private_pem

    section = {
        **fake.secret_section(NOTIFY, timeout_seconds=0.5),
        "app_private_key": private_pem(rsa_key("someone-else")),
    }
    with pytest.raises(ProviderUnavailable) as caught:
        AliPay(section).query(PLEDGE)
    assert "40002" in caught.value.message


# ---- notifications ------------------------------------------------------------------------------


def test_paid_notification_gives_the_verified_buyer_amount_and_time(ali: AliPay, fake: FakeAlipay) -> None:
    headers, body = paid(fake, ali)
    payment = ali.parse_notification(headers, body)
    order = fake.orders[PLEDGE]
    assert payment is not None
    assert (payment.pledge_id, payment.transaction_id, payment.amount_fen, payment.payer_id) == (
        PLEDGE,
        order["trade_no"],
        5000,
        order["buyer_id"],
    )
    assert payment.paid_at == datetime.strptime(order["gmt_payment"], TIME_FORMAT).replace(tzinfo=BEIJING)
    assert ali.acknowledge() == (200, {"Content-Type": "text/plain; charset=utf-8"}, b"success")


def test_amount_mismatch_is_reported_in_the_payment_for_the_ledger(ali: AliPay, fake: FakeAlipay) -> None:
    open_cashier(ali)
    fake.pay(PLEDGE, deliver_to=False, paid_fen=1234)
    payment = ali.parse_notification(*fake.notification(PLEDGE))
    assert payment is not None and payment.amount_fen == 1234


def test_forged_notification_is_refused(ali: AliPay, fake: FakeAlipay) -> None:
    headers, body = paid(fake, ali, key=rsa_key("forger"))
    assert refused_code(ali, headers, body) == "bad_signature"


def test_tampered_amount_is_refused(ali: AliPay, fake: FakeAlipay) -> None:
    headers, body = paid(fake, ali)
    assert refused_code(ali, headers, reform(body, buyer_pay_amount="5000.00")) == "bad_signature"


def test_sign_type_is_excluded_from_the_signed_content_but_must_be_rsa2(ali: AliPay, fake: FakeAlipay) -> None:
    headers, body = paid(fake, ali)
    assert refused_code(ali, headers, reform(body, sign_type="RSA")) == "unsupported_signature_type"
    assert refused_code(ali, headers, reform(body, sign=None)) == "missing_signature"


@pytest.mark.parametrize("skew", [-301, 301, -3600])
def test_stale_notification_is_refused(ali: AliPay, fake: FakeAlipay, skew: int) -> None:
    signed = 1_800_000_000
    when = datetime.fromtimestamp(signed + skew, BEIJING).strftime(TIME_FORMAT)
    headers, body = paid(fake, ali, notify_time=when)
    ali._now = lambda: signed  # the server's clock, fixed: the window is exact to the second
    assert refused_code(ali, headers, body) == "stale_notification"
    ali._now = lambda: signed + skew
    assert ali.parse_notification(headers, body) is not None, "the same notification, received on time"


def test_replayed_notification_is_refused_but_alipays_retry_is_accepted(ali: AliPay, fake: FakeAlipay) -> None:
    earlier = datetime.fromtimestamp(time.time() - 240, BEIJING).strftime(TIME_FORMAT)
    headers, body = paid(fake, ali, notify_time=earlier)
    first = ali.parse_notification(headers, body)
    assert refused_code(ali, headers, body) == "replayed_notification"
    retry = ali.parse_notification(*fake.notification(PLEDGE))  # same notify_id, a later notify_time
    assert retry == first


def test_notification_for_another_app_or_seller_is_refused(ali: AliPay, fake: FakeAlipay) -> None:
    assert refused_code(ali, *paid(fake, ali, app_id="2021999999999999")) == "wrong_merchant"
    assert refused_code(ali, *fake.notification(PLEDGE, seller_id="2088999999999999")) == "wrong_merchant"


def test_an_authentic_closed_trade_is_no_payment(ali: AliPay, fake: FakeAlipay) -> None:
    open_cashier(ali)
    assert ali.parse_notification(*fake.notification(PLEDGE, trade_status="TRADE_CLOSED")) is None


def test_authentic_but_malformed_trades_are_refused(ali: AliPay, fake: FakeAlipay) -> None:
    open_cashier(ali)
    fake.pay(PLEDGE, deliver_to=False)
    for bad in ({"buyer_pay_amount": "12.345"}, {"buyer_pay_amount": "-1.00"}, {"buyer_id": "", "buyer_open_id": ""}):
        assert refused_code(ali, *fake.notification(PLEDGE, **bad)) == "malformed_notification"


def test_repeated_parameters_are_refused(ali: AliPay, fake: FakeAlipay) -> None:
    headers, body = paid(fake, ali)
    assert refused_code(ali, headers, body + b"&trade_status=TRADE_SUCCESS") == "malformed_notification"


def test_donor_confirming_at_the_cashier_notifies_and_returns_to_the_site(ali: AliPay, fake: FakeAlipay) -> None:
    """The pay page POSTs the signed notification, then sends the browser to return_url."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    got: list[object] = []

    class Site(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802  (the notify_url)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append(adapter.parse_notification(dict(self.headers.items()), body))
            status, headers, reply = adapter.acknowledge()
            self.send_response(status)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def do_GET(self) -> None:  # noqa: N802  (the return_url page)
            got.append(dict(parse_qsl(urlsplit(self.path).query))["method"])
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            return

    site = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    thread = threading.Thread(target=site.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{site.server_address[1]}"
        fake.orders.clear()
        adapter = AliPay(fake.secret_section(f"{base}/notify", return_url=f"{base}/pledge", timeout_seconds=0.5))
        open_cashier(adapter)
        reply = urllib.request.urlopen(
            urllib.request.Request(f"{fake.url}/cashier/{PLEDGE}", data=b"", method="POST"), timeout=5
        )
        assert reply.status == 200 and reply.read() == b"ok"
    finally:
        site.shutdown()
        site.server_close()
        thread.join(5)
    assert fake.deliveries[-1] == (200, b"success")
    payment, returned = got
    assert getattr(payment, "pledge_id", None) == PLEDGE and returned == "alipay.trade.page.pay.return"


# ---- amounts and fuzz ----------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=10**12))
def test_yuan_and_fen_round_trip(fen: int) -> None:
    assert fen_of(yuan(fen)) == fen


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    field=st.sampled_from(
        ["sign", "notify_time", "notify_id", "out_trade_no", "total_amount", "app_id", "trade_no", "charset"]
    ),
    value=st.text(max_size=40),
    raw=st.binary(max_size=200),
)
def test_fuzzed_notifications_are_refused_never_crash(
    ali: AliPay, fake: FakeAlipay, field: str, value: str, raw: bytes
) -> None:
    if PLEDGE not in fake.orders:
        open_cashier(ali)
        fake.pay(PLEDGE, deliver_to=False)
    headers, body = fake.notification(PLEDGE)
    original = dict(parse_qsl(body.decode()))[field]
    if value == original:
        value += "x"
    with pytest.raises(Refused):
        ali.parse_notification(headers, reform(body, **{field: value}))
    with pytest.raises(Refused):
        ali.parse_notification(headers, raw)
