"""``make serve``'s payment path over HTTP, with the limits as deployed (nothing relaxed).

The local stack (infra/local_stack.py, its own process, free loopback ports) starts the fake WeChat
Pay and Alipay and writes their keys into the emulator's Secrets Manager. Unpaid pledges from many
donor keys leave the pool untouched; a paid one gets its full match; a burst from one browser meets
429 with Retry-After while another browser behind the same address pledges on.
"""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from infra.local_stack import free_port, spawn

PROJECT = "laiwu-hope-cottages-2022"


def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read() or b"null"), reply.headers
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null"), exc.headers


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state = tmp_path_factory.mktemp("serve")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QINGYI_")}
    args = ["--no-site", "--no-seed", "--api-port", str(port), "--state-dir", str(state / "state")]
    process = spawn(args, env=env, log_path=state / "log.txt")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def pledge(api: str, amount: int, client: str, donor: str | None = None) -> tuple[int, Any, Any]:
    body = {"amount_fen": amount, "donor_key": donor or "dk-" + uuid.uuid4().hex, "anonymous": True}
    headers = {"Idempotency-Key": uuid.uuid4().hex, "Qingyi-Client": client}
    return http("POST", f"{api}/projects/{PROJECT}/pledges", body, headers)


def progress(api: str) -> dict[str, Any]:
    return http("GET", f"{api}/projects/{PROJECT}/progress")[1]


def test_unpaid_pledges_hold_nothing_and_a_paid_one_gets_its_full_match(api: str) -> None:
    before = progress(api)["campaign"]
    clients = ["client-" + uuid.uuid4().hex[:16] for _ in range(8)]
    made = [pledge(api, 10_000, clients[n % 8]) for n in range(40)]  # 40 donor keys, 8 browsers
    assert [m[0] for m in made] == [201] * 40
    assert all(m[1]["expected_match_fen"] == 10_000 and m[1]["match_fen"] == 0 for m in made)
    for _ in range(20):  # bounded: the API keeps public figures for a moment
        after = progress(api)
        if after["pending_count"] >= 40:
            break
        time.sleep(0.25)
    assert (after["campaign"]["remaining_fen"], after["campaign"]["match_remaining_fen"]) == (
        before["remaining_fen"],
        before["match_remaining_fen"],
    )
    first = made[0][1]
    status, order, _ = http(
        "POST", f"{api}/pledges/{first['pledge_id']}/checkout", {"provider": "alipay", "channel": "page"},
        {"Donor-Token": first["donor_token"]},
    )
    assert status == 200 and order["kind"] == "redirect"
    # the donor's browser opens the (fake) cashier, which opens the trade; 确认支付 notifies the API
    with urllib.request.urlopen(order["url"], timeout=30) as cashier:
        assert "本地模拟支付" in cashier.read().decode("utf-8")
    pay = urllib.request.Request(order["url"].split("/gateway.do")[0] + f"/cashier/{first['pledge_id']}", data=b"",
                                 method="POST")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    try:
        urllib.request.build_opener(NoRedirect).open(pay, timeout=30)
    except urllib.error.HTTPError as back:  # 303 back to the donor's page, as Alipay's return_url
        assert back.code == 303 and "/pledge/" in back.headers["Location"]
    view = http("GET", f"{api}/pledges/{first['pledge_id']}/donor", headers={"Donor-Token": first["donor_token"]})[1]
    assert (view["status"], view["match_final"], view["match_fen"]) == ("paid", True, 10_000)


def test_a_burst_from_one_browser_meets_429_and_its_neighbour_does_not(api: str) -> None:
    flooder, neighbour = "flood-" + uuid.uuid4().hex[:16], "neighbour-" + uuid.uuid4().hex[:12]
    for _ in range(40):  # bounded: start the burst early in a minute, so one fixed window holds it
        if int(time.time()) % 60 < 40:
            break
        time.sleep(0.5)
    assert pledge(api, 100, neighbour)[0] == 201
    answers = [pledge(api, 100, flooder) for _ in range(15)]
    statuses = [a[0] for a in answers]
    assert statuses[:10] == [201] * 10 and set(statuses[10:]) == {429}, statuses
    refused = answers[-1]
    assert refused[1]["code"] == "rate_limited" and 1 <= int(refused[2]["Retry-After"]) <= 60
    assert pledge(api, 100, neighbour)[0] == 201  # the same address, another browser: not refused
