"""Abuse limits that refuse (chalicelib/limits.py), and the source address they count (web.source_address).

Through the in-process gateway over the in-memory store; ``sourceIp`` is set as API Gateway sets
it from the TCP peer. The limits are set low here (per client 5 a minute, 8 new clients a
minute per address) so the tests stay small; the defaults are 10 and 30.
"""

from __future__ import annotations

import secrets as random
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.conftest import base_env, memory_ledger, pledge_body
from tests.api.gateway import Api

NAT = "198.51.100.20"  # a campus NAT: many donors, one address
PER_CLIENT, NEW_CLIENTS = 5, 8


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    base_env(monkeypatch)
    monkeypatch.setenv("QINGYI_RATE_PER_CLIENT", str(PER_CLIENT))
    monkeypatch.setenv("QINGYI_RATE_NEW_CLIENTS", str(NEW_CLIENTS))
    import app as app_module

    from chalicelib import services

    memory_ledger()
    yield Api(app_module.app)
    services.reset()


def pledge(api: Api, client: str | None, source: str = NAT, **headers: str) -> Any:
    body = pledge_body(amount=1000, donor="donor-" + random.token_hex(6))
    key = "key-" + random.token_hex(8)
    extra = {"Idempotency-Key": key, **headers}
    if client:
        extra["Qingyi-Client"] = client
    return api.post("/projects/laiwu-cottages/pledges", headers=extra, body=body, source=source)


def client_token() -> str:
    return random.token_urlsafe(18)


def test_a_flooding_client_meets_429_and_the_others_behind_its_nat_do_not(api: Api) -> None:
    neighbours = [client_token() for _ in range(3)]
    for n in neighbours:
        assert pledge(api, n).status == 201  # on the page before the flood
    flooder = client_token()
    statuses = [pledge(api, flooder).status for _ in range(PER_CLIENT + 20)]
    assert statuses[:PER_CLIENT] == [201] * PER_CLIENT and set(statuses[PER_CLIENT:]) == {429}
    refused = pledge(api, flooder)
    assert refused.json["code"] == "rate_limited" and " / " in refused.json["message"]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    for n in neighbours:  # in the same minute, behind the same address: not refused, not flagged
        reply = pledge(api, n)
        assert reply.status == 201 and reply.json["flagged"] is False, reply.text
    assert pledge(api, client_token()).status == 201  # a donor arriving now still gets in


def test_rotating_client_tokens_exhausts_only_new_clients_of_that_address(api: Api) -> None:
    known = client_token()
    assert pledge(api, known).status == 201  # admitted before the flood
    rotated = [pledge(api, client_token()).status for _ in range(NEW_CLIENTS + 10)]
    assert rotated.count(201) == NEW_CLIENTS - 1 and rotated[-1] == 429  # the known client took one slot
    reply = pledge(api, client_token())
    assert (reply.status, reply.json["code"]) == (429, "rate_limited")
    assert pledge(api, known).status == 201  # a client admitted earlier keeps pledging
    assert pledge(api, client_token(), source="203.0.113.5").status == 201  # another address is untouched


def test_no_client_token_is_one_shared_anonymous_client(api: Api) -> None:
    statuses = [pledge(api, None).status for _ in range(PER_CLIENT + 1)]
    assert statuses == [201] * PER_CLIENT + [429]
    assert pledge(api, "not a token!").json["code"] == "invalid_field"  # a malformed token is refused outright
    assert pledge(api, client_token()).status == 201


def test_a_client_written_forwarded_for_never_picks_the_address(api: Api) -> None:
    client = client_token()
    for n in range(PER_CLIENT):
        assert pledge(api, client, **{"X-Forwarded-For": f"10.0.0.{n}"}).status == 201
    assert pledge(api, client, **{"X-Forwarded-For": "10.9.9.9"}).status == 429  # still the same sourceIp


def test_behind_a_known_proxy_only_the_entry_it_added_counts(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.web import source_address

    class Request:
        def __init__(self, peer: str, forwarded: str | None) -> None:
            self.context = {"identity": {"sourceIp": peer}}
            self.headers = {"x-forwarded-for": forwarded} if forwarded is not None else {}

    assert source_address(Request("130.176.0.1", "1.2.3.4")) == "130.176.0.1"  # not configured: the peer
    monkeypatch.setenv("QINGYI_TRUSTED_PROXIES", "130.176.0.0/16")
    # the client wrote "6.6.6.6"; CloudFront appended the address it saw, 203.0.113.9
    assert source_address(Request("130.176.0.1", "6.6.6.6, 203.0.113.9")) == "203.0.113.9"
    assert source_address(Request("198.51.100.1", "6.6.6.6, 203.0.113.9")) == "198.51.100.1"  # not via the proxy
    assert source_address(Request("130.176.0.1", None)) == "130.176.0.1"
    assert source_address(Request("130.176.0.1", "not-an-address")) == "130.176.0.1"
    monkeypatch.setenv("QINGYI_PROXY_HOPS", "2")  # CloudFront, then a load balancer we run
    assert source_address(Request("130.176.0.1", "6.6.6.6, 203.0.113.9, 10.0.0.7")) == "203.0.113.9"
    assert source_address(Request("130.176.0.1", "203.0.113.9")) == "130.176.0.1"  # too few entries
    # and through the API: the flood's forged first entries change nothing
    monkeypatch.setenv("QINGYI_PROXY_HOPS", "1")
    client = client_token()
    for n in range(PER_CLIENT):
        forged = f"10.0.0.{n}, 203.0.113.77"
        assert pledge(api, client, source="130.176.0.1", **{"X-Forwarded-For": forged}).status == 201
    forged = "10.0.0.99, 203.0.113.77"
    assert pledge(api, client, source="130.176.0.1", **{"X-Forwarded-For": forged}).status == 429


def test_refused_pledges_write_no_pledge(api: Api) -> None:
    from chalicelib import services

    client = client_token()
    for _ in range(PER_CLIENT + 5):
        pledge(api, client)
    pledges = [k for k in services.ledger().store.items if k[0].startswith("PLEDGE#")]
    assert len(pledges) == PER_CLIENT
