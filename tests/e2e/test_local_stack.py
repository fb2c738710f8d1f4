"""infra/local_stack.py without a browser: nothing acknowledged is lost (infra/journal.py), and busy ports."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra import journal, local_stack
from infra import local_api as api_local


def scan_all(ddb: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    for _ in range(1000):
        page = ddb.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))
    raise AssertionError("scan did not end")


@contextlib.contextmanager
def emulator(state: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, Any, str]]:
    """The emulator as make serve runs it: its own process, journaling into ``state``; the table restored."""
    import boto3

    port = local_stack.free_port()
    process = subprocess.Popen([sys.executable, "-m", "infra.local_api", "moto", str(port), str(state)])
    try:
        local_stack.wait_for_port(port, process)
        endpoint = f"http://127.0.0.1:{port}"
        table = api_local.deploy_table(endpoint)
        journal.restore(endpoint, journal.Journal(state))
        yield process, endpoint, boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1"), table
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


ODD = {
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


def _write_every_kind(ddb: Any, table: str) -> None:
    """Writes of every journaled kind, including ones whose replay depends on order and on conditions."""
    items = [ODD] + [{"pk": {"S": f"PLEDGE#{i:03d}"}, "sk": {"S": "P"}, "amount_fen": {"N": str(i)}} for i in range(60)]
    for start in range(0, len(items), 25):
        ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": it}} for it in items[start : start + 25]]})
    for _ in range(3):  # ADD is not idempotent: replayed twice it would say 6, or 9
        ddb.update_item(
            TableName=table,
            Key={"pk": {"S": "TOTAL#x"}, "sk": {"S": "T"}},
            UpdateExpression="ADD raised_fen :a",
            ExpressionAttributeValues={":a": {"N": "100"}},
        )
    ddb.delete_item(TableName=table, Key={"pk": {"S": "PLEDGE#007"}, "sk": {"S": "P"}})
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):  # refused: never journaled
        ddb.put_item(TableName=table, Item=ODD, ConditionExpression="attribute_not_exists(pk)")
    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": "PLEDGE#900"}, "sk": {"S": "P"}}}},
            {
                "Update": {
                    "TableName": table,
                    "Key": {"pk": {"S": "TOTAL#x"}, "sk": {"S": "T"}},
                    "UpdateExpression": "ADD raised_fen :a",
                    "ExpressionAttributeValues": {":a": {"N": "5"}},
                }
            },
        ]
    )


def test_a_killed_emulator_loses_no_acknowledged_write(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with emulator(state) as (process, _endpoint, ddb, table):
        _write_every_kind(ddb, table)
        before = scan_all(ddb, table)
        process.kill()  # SIGKILL: no dump, no compaction, nothing but the journal
    assert len(before) == 62 and {"N": "305"} in [i.get("raised_fen") for i in before]
    with emulator(state) as (_process, _endpoint, ddb, table):
        assert scan_all(ddb, table) == before  # every type kept, every write replayed once
        ddb.put_item(TableName=table, Item={"pk": {"S": "PLEDGE#901"}, "sk": {"S": "P"}})
        after = scan_all(ddb, table)
    with emulator(state) as (_process, _endpoint, ddb, table):  # killed again, after a compaction
        assert scan_all(ddb, table) == after


def test_compaction_starts_a_new_generation_and_drops_the_old_journal(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with emulator(state) as (_process, endpoint, ddb, table):
        generation = journal.Journal(state).generation()
        ddb.put_item(TableName=table, Item={"pk": {"S": "PLEDGE#1"}, "sk": {"S": "P"}})
        assert sum(1 for _ in journal.Journal(state).entries(generation)) == 1
        assert journal.compact(endpoint) == {"generation": generation + 1, "items": 1}
        assert [p.name for p in sorted(state.glob("journal-*.jsonl"))] == [f"journal-{generation + 1}.jsonl"]
        assert list(journal.Journal(state).entries(generation + 1)) == []


def test_a_torn_last_journal_line_is_not_replayed(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with emulator(state) as (process, _endpoint, ddb, table):
        ddb.put_item(TableName=table, Item={"pk": {"S": "PLEDGE#1"}, "sk": {"S": "P"}})
        before = scan_all(ddb, table)
        process.kill()
    (path,) = state.glob("journal-*.jsonl")
    with path.open("a", encoding="utf-8") as out:  # a crash in the middle of writing a line
        out.write('{"target": "DynamoDB_20120810.PutItem", "region": "us-')
    with emulator(state) as (_process, _endpoint, ddb, table):
        assert scan_all(ddb, table) == before


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
