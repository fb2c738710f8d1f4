"""make serve loses nothing it acknowledged: killed with SIGKILL, or stopped cleanly, during a stream of
pledges; and no process of the stack outlives it (infra/journal.py, infra/local_stack.py)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest

from infra.local_stack import free_port, port_free
from tests.api import invariants

ROOT = Path(__file__).resolve().parents[2]
DEMO_PROJECT = "laiwu-hope-cottages-2022"
READY_SECONDS = 120


@dataclass
class Serve:
    """``python infra/local_stack.py --no-site`` as a developer runs it, in a child process."""

    state: Path
    log: Path
    api_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        ready = self.text().count("READY")
        env = {k: v for k, v in os.environ.items() if not k.startswith("QINGYI_")}
        # The load comes from one loopback address: the abuse limits are tests/api/test_limits.py's.
        env.update(QINGYI_RATE_PER_CLIENT="100000", QINGYI_RATE_NEW_CLIENTS="100000")
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "infra" / "local_stack.py"), "--no-site", "--no-seed",
                 "--api-port", str(self.api_port), "--state-dir", str(self.state)],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + READY_SECONDS
        while self.text().count("READY") == ready:
            assert self.process.poll() is None, self.text()[-3000:]
            assert time.monotonic() < deadline, self.text()[-3000:]
            time.sleep(0.2)

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def moto_endpoint(self) -> str:
        return re.findall(r"DynamoDB \(moto[^)]*\) (http://127\.0\.0\.1:\d+)", self.text())[-1]

    def children(self) -> list[int]:
        assert self.process is not None
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                found.append(int(stat.parent.name))
        return found

    def pledge(self) -> str | None:
        """One pledge; its id when the API acknowledged it (201), else None."""
        body = {"amount_fen": 1000, "donor_key": "dur-" + uuid.uuid4().hex[:16], "display_name": "耐久测试"}
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.api_port}/projects/{DEMO_PROJECT}/pledges",
            data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                return str(json.loads(reply.read())["pledge_id"]) if reply.status == 201 else None
        except (urllib.error.URLError, OSError, ValueError):
            return None

    def stop(self, sig: int = signal.SIGINT) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=60)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    running = Serve(tmp_path / "state", tmp_path / "serve.log")
    try:
        yield running
    finally:
        running.stop(signal.SIGKILL)


def _stream(serve: Serve, acknowledged: list[str], stop: threading.Event) -> None:
    for _ in range(2000):  # bounded; the test stops it long before
        if stop.is_set():
            return
        pledge_id = serve.pledge()
        if pledge_id:
            acknowledged.append(pledge_id)


def _interrupt_a_stream(serve: Serve, sig: int, at_least: int = 25) -> list[str]:
    acknowledged: list[str] = []
    stop = threading.Event()
    senders = [threading.Thread(target=_stream, args=(serve, acknowledged, stop)) for _ in range(3)]
    for sender in senders:
        sender.start()
    deadline = time.monotonic() + 120
    while len(acknowledged) < at_least and time.monotonic() < deadline:
        time.sleep(0.05)
    assert serve.process is not None
    serve.process.send_signal(sig)  # while the senders are still pledging
    serve.process.wait(timeout=60)
    stop.set()
    for sender in senders:
        sender.join(timeout=30)
    assert len(acknowledged) >= at_least
    return list(acknowledged)


def _every_acknowledged_pledge_is_back(serve: Serve, acknowledged: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    serve.start()
    monkeypatch.setenv("QINGYI_CATALOGUE", str(serve.state / "catalogue.json"))
    client = boto3.client("dynamodb", endpoint_url=serve.moto_endpoint(), region_name="us-east-1",
                          aws_access_key_id="local", aws_secret_access_key="local")
    items = invariants.scan("qingyi-ledger-dev", client)
    stored = {p["pledge_id"] for p in invariants.pledges(items)}
    assert set(acknowledged) <= stored, f"lost {len(set(acknowledged) - stored)} of {len(acknowledged)}"
    invariants.check(items)  # totals equal the ledger, pool and caps hold


def test_sigkill_during_a_stream_of_pledges_loses_nothing_acknowledged(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve.start()
    children = serve.children()
    moto_port = int(serve.moto_endpoint().rsplit(":", 1)[1])
    assert children, "the emulator runs as a child process"
    acknowledged = _interrupt_a_stream(serve, signal.SIGKILL)
    # No child outlives the stack, and nothing keeps holding its ports.
    deadline = time.monotonic() + 15
    while any(Path(f"/proc/{pid}").exists() for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()]
    assert port_free(moto_port) and port_free(serve.api_port)
    _every_acknowledged_pledge_is_back(serve, acknowledged, monkeypatch)


def test_a_clean_stop_during_a_burst_loses_nothing_acknowledged(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    serve.start()
    acknowledged = _interrupt_a_stream(serve, signal.SIGINT)
    assert serve.process is not None and serve.process.returncode == 0, serve.text()[-2000:]
    _every_acknowledged_pledge_is_back(serve, acknowledged, monkeypatch)


def test_a_port_held_by_a_stale_stack_names_it(serve: Serve, tmp_path: Path) -> None:
    serve.start()
    assert serve.process is not None
    second = subprocess.run(
        [sys.executable, str(ROOT / "infra" / "local_stack.py"), "--no-site", "--api-port", str(serve.api_port),
         "--state-dir", str(serve.state)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert second.returncode == 2
    assert f"kill {serve.process.pid}" in second.stderr and f"进程 {serve.process.pid}" in second.stderr
