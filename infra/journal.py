"""The local emulator loses nothing it acknowledged: a snapshot plus a write-ahead journal.

``make serve`` keeps the ledger in moto, in memory. Dumping it only on a clean stop lost every
pledge since the last stop when the stack was killed, and a clean stop during a burst lost the
writes still in flight. So the emulator's own process journals each write as it answers it:

- every DynamoDB write request moto answers 200 (PutItem, UpdateItem, DeleteItem, BatchWriteItem,
  TransactWriteItems) is appended to ``journal-<generation>.jsonl`` and fsynced *before* the reply
  leaves the emulator, so the API cannot acknowledge a write that is not on disk. moto serves one
  request at a time (infra/local_api.py), so the journal's order is the order moto applied them.
- a start restores ``snapshot.jsonl`` (the items, as DynamoDB JSON) and replays the journal of the
  snapshot's generation, request by request, exactly as moto first received them (same bytes, so
  the same conditions hold and the same items result); then it compacts.
- compaction (on start, and on a clean stop after the API has stopped taking requests) is one
  request to the emulator, ``POST /_qingyi/compact``: it writes every item to a new snapshot of
  generation N+1 (a temporary file, fsynced, renamed into place), then starts journal N+1 and
  removes journal N. A crash at any point leaves either the old snapshot with its journal or the
  new snapshot with its (possibly empty) journal: never both replayed, never a write lost.

A journal of our own rather than moto's request recorder: the recorder logs reads too, has no
fsync, and cannot say which requests succeeded, so its replay would double-apply failed ones.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

SNAPSHOT = "snapshot.jsonl"
COMPACT_PATH = "/_qingyi/compact"
WRITE_OPERATIONS = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
WRITE_TARGETS = frozenset(f"DynamoDB_20120810.{op}" for op in WRITE_OPERATIONS)
BATCH = 25  # BatchWriteItem takes at most 25 items
_REGION = re.compile(r"Credential=[^/]+/\d+/([a-z0-9-]+)/dynamodb/")


def _fsync_write(path: Path, lines: Iterable[str]) -> None:
    """Write ``lines`` to ``path`` atomically: a temporary file, fsynced, renamed, the folder fsynced."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for line in lines:
            out.write(line + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """The state folder's snapshot and journal, as the emulator's process sees them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._out: io.TextIOWrapper | None = None

    # ---- reading (the parent restores from these) ---------------------------------------------

    @property
    def snapshot_path(self) -> Path:
        return self.folder / SNAPSHOT

    def journal_path(self, generation: int) -> Path:
        return self.folder / f"journal-{generation}.jsonl"

    def generation(self) -> int:
        """The snapshot's generation; 0 when there is none yet."""
        if not self.snapshot_path.is_file():
            return 0
        with self.snapshot_path.open(encoding="utf-8") as src:
            return int(json.loads(src.readline())["generation"])

    def snapshot_items(self) -> Iterator[dict[str, Any]]:
        """``{"region", "table", "item"}`` for every item of the snapshot (the header line skipped)."""
        if not self.snapshot_path.is_file():
            return
        with self.snapshot_path.open(encoding="utf-8") as src:
            src.readline()
            for line in src:
                if line.strip():
                    yield json.loads(line)

    def entries(self, generation: int) -> Iterator[dict[str, Any]]:
        """The journal's requests, in the order moto applied them. A torn last line (a crash while
        writing it) was never acknowledged, so it is skipped."""
        path = self.journal_path(generation)
        if not path.is_file():
            return
        with path.open(encoding="utf-8") as src:
            for line in src:
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    return

    # ---- writing (the emulator's process) ----------------------------------------------------

    @property
    def recording(self) -> bool:
        return self._out is not None

    def record(self, target: str, region: str, body: bytes) -> None:
        """One acknowledged write, on disk before the emulator answers it."""
        if self._out is None:
            return
        entry = {"target": target, "region": region, "body": body.decode("utf-8")}
        self._out.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._out.flush()
        os.fsync(self._out.fileno())

    def compact(self, items: Iterable[tuple[str, str, dict[str, Any]]]) -> int:
        """Write every item as the next generation's snapshot, then journal into that generation."""
        old = self.generation()
        new = old + 1
        rows = [json.dumps({"region": r, "table": t, "item": i}, ensure_ascii=False, sort_keys=True) for r, t, i in items]
        _fsync_write(self.snapshot_path, [json.dumps({"generation": new, "items": len(rows)}), *rows])
        if self._out is not None:
            self._out.close()
        self._out = self.journal_path(new).open("a", encoding="utf-8")
        for stale in self.folder.glob("journal-*.jsonl"):
            if stale.name != self.journal_path(new).name:
                stale.unlink()
        _fsync_dir(self.folder)
        return len(rows)

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None


def _wire(value: Any) -> Any:
    """moto keeps binary attributes decoded; DynamoDB JSON carries them as base64 text."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


def moto_items() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(region, table, item as DynamoDB JSON) for every item moto holds, in this process."""
    from moto.dynamodb.models import dynamodb_backends

    for _account, regions in list(dynamodb_backends.items()):
        for region, backend in list(regions.items()):
            for name, table in list(backend.tables.items()):
                for item in table.all_items():
                    yield region, name, _wire(item.to_json()["Attributes"])


class JournalingApp:
    """WSGI middleware around moto's app: journal each successful write before answering it."""

    def __init__(self, app: Callable[..., Any], journal: Journal) -> None:
        self.app = app
        self.journal = journal

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == COMPACT_PATH and environ.get("REQUEST_METHOD") == "POST":
            count = self.journal.compact(moto_items())
            body = json.dumps({"generation": self.journal.generation(), "items": count}).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target not in WRITE_TARGETS or not self.journal.recording:
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        request_body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(request_body)
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], Any]:
            seen["status"], seen["headers"] = status, headers
            return lambda _data: None

        chunks = self.app(environ, capture)
        try:
            reply = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        if seen["status"].startswith("200"):
            match = _REGION.search(environ.get("HTTP_AUTHORIZATION", ""))
            self.journal.record(target, match.group(1) if match else "us-east-1", request_body)
        start_response(seen["status"], seen["headers"])
        return [reply]


# ---- the parent's side: restore through the emulator's own HTTP API ---------------------------------


def _post(endpoint: str, target: str, region: str, body: bytes) -> tuple[int, bytes]:
    """One DynamoDB request as a client sends it (moto reads the region from the credential scope)."""
    request = urllib.request.Request(
        endpoint + "/",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": target,
            "Authorization": f"AWS4-HMAC-SHA256 Credential=local/20260101/{region}/dynamodb/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:  # noqa: S310 - the local emulator on 127.0.0.1
            return reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def restore(endpoint: str, journal: Journal) -> tuple[int, int]:
    """Snapshot, then the journal of its generation, into the emulator at ``endpoint``; then compact.

    Returns (items restored from the snapshot, journal requests replayed). A replayed request that
    fails now failed then too (same state, same bytes), except for what moto rejects as malformed,
    which never reached the journal; either way it changes nothing.
    """
    generation = journal.generation()
    batch: dict[tuple[str, str], list[dict[str, Any]]] = {}
    restored = 0
    for row in journal.snapshot_items():
        key = (row["region"], row["table"])
        batch.setdefault(key, []).append({"PutRequest": {"Item": row["item"]}})
        if len(batch[key]) == BATCH:
            _write_batch(endpoint, *key, batch.pop(key))
        restored += 1
    for key, requests in batch.items():
        _write_batch(endpoint, *key, requests)
    replayed = 0
    for entry in journal.entries(generation):
        _post(endpoint, entry["target"], entry["region"], entry["body"].encode("utf-8"))
        replayed += 1
    compact(endpoint)
    return restored, replayed


def _write_batch(endpoint: str, region: str, table: str, requests: list[dict[str, Any]]) -> None:
    for _attempt in range(20):  # bounded: moto processes a batch whole, unprocessed items are rare
        body = json.dumps({"RequestItems": {table: requests}}).encode("utf-8")
        status, reply = _post(endpoint, "DynamoDB_20120810.BatchWriteItem", region, body)
        if status != 200:
            raise RuntimeError(f"restoring {table}: the emulator answered {status}: {reply[:300]!r}")
        left = json.loads(reply).get("UnprocessedItems", {}).get(table)
        if not left:
            return
        requests = left
    raise RuntimeError(f"restoring {table}: {len(requests)} item(s) stayed unprocessed")


def compact(endpoint: str) -> dict[str, Any]:
    request = urllib.request.Request(endpoint + COMPACT_PATH, data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=120) as reply:  # noqa: S310 - the local emulator on 127.0.0.1
        return dict(json.loads(reply.read()))
