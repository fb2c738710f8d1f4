"""infra/local_stack.py without a browser: the state round trip through the DynamoDB API, and busy ports."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from infra import local_api as api_local
from infra import local_stack  # noqa: E402


def scan_all(ddb: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table}
    for _ in range(1000):
        page = ddb.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))
    raise AssertionError("scan did not end")


def moto_table(stage: str) -> tuple[Any, Any, str]:
    """A one-at-a-time moto server with the ledger table (moto's state is per process: a new stage, a new table)."""
    import boto3

    server = api_local.start_moto(0)
    table = api_local.deploy_table(server.endpoint, stage)
    ddb = boto3.client("dynamodb", endpoint_url=server.endpoint, region_name="us-east-1")
    return server, ddb, table


def test_dump_and_restore_keep_every_item_and_type(tmp_path: Path) -> None:
    first, ddb, table = moto_table("dumpa")
    try:
        odd = {
            "pk": {"S": "PROJECT#x"},
            "sk": {"S": "odd"},
            "B": {"S": "an attribute named B is not binary"},
            "blob": {"B": b"\x00\xffbytes"},
            "blobs": {"BS": [b"a", b"b"]},
            "n": {"N": "12345678901234567890"},
            "ns": {"NS": ["1", "2"]},
            "ss": {"SS": ["爱心人士", "🙂"]},
            "ok": {"BOOL": True},
            "none": {"NULL": True},
            "m": {"M": {"B": {"B": b"inner"}, "l": {"L": [{"S": "x"}, {"B": b"y"}, {"M": {"k": {"N": "1"}}}]}}},
        }
        items = [odd] + [
            {"pk": {"S": f"PLEDGE#{i:03d}"}, "sk": {"S": "P"}, "amount_fen": {"N": str(i)}} for i in range(60)
        ]
        for start in range(0, len(items), 25):
            ddb.batch_write_item(
                RequestItems={table: [{"PutRequest": {"Item": it}} for it in items[start : start + 25]]}
            )
        before = scan_all(ddb, table)
        state = tmp_path / "ledger.jsonl"
        assert local_stack.dump_table(ddb, table, state) == len(items)
    finally:
        first.stop()
    second, ddb, table = moto_table("dumpb")
    try:
        assert scan_all(ddb, table) == []
        assert local_stack.restore_table(ddb, table, state) == len(items)
        assert scan_all(ddb, table) == before
    finally:
        second.stop()


def test_a_busy_port_stops_before_anything_starts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        code = local_stack.main(
            [
                "--site-port",
                str(busy),
                "--api-port",
                str(local_stack.free_port()),
                "--state-dir",
                str(tmp_path / "state"),
            ]
        )
    err = capsys.readouterr().err
    assert code == 2
    assert f"端口 {busy} 已被占用" in err and f"Port {busy} (site) is already in use" in err
    assert "QINGYI_SITE_PORT" in err
    assert not (tmp_path / "state").exists()  # nothing compiled, nothing started
