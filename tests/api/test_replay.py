"""The notification nonce store (chalicelib/replay.py) on the table deployed from infra/data.yaml (moto).

A conditional put: a nonce is new once; seen again inside its ttl it is a replay; an item past its
ttl that DynamoDB has not deleted yet (TTL deletion is lazy) does not make an old nonce a replay.
"""

from __future__ import annotations

from typing import Any

from chalicelib.records import Records
from chalicelib.replay import key, seen_in
from chalicelib.store import DynamoStore


class Clock:
    def __init__(self) -> None:
        self.t = 1_800_000_000.0

    def __call__(self) -> float:
        return self.t


def test_a_nonce_is_new_once_then_a_replay_until_its_ttl(moto_table: str) -> None:
    records = Records(DynamoStore(moto_table))
    clock = Clock()
    seen = seen_in(records, clock=clock)
    assert seen("wechat:N1", 600) is False
    assert seen("wechat:N1", 600) is True
    assert seen("alipay:N1", 600) is False  # namespaced by provider
    clock.t += 599
    assert seen("wechat:N1", 600) is True
    clock.t += 2  # past the ttl; the item is still there (DynamoDB deletes expired items lazily)
    item: Any = records.get(key("wechat:N1"))
    assert item is not None and item["ttl"] < clock.t
    assert seen("wechat:N1", 600) is False
    assert seen("wechat:N1", 600) is True
