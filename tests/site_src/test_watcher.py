"""``make serve`` holds still: reading a content file triggers nothing, one edit triggers exactly one rebuild.

Driven for real: watchdog's inotify observer on a temporary folder, and ``mkdocs serve`` (this repository's
mkdocs.yml and hooks) on a free 127.0.0.1 port over a copy of the valid examples. Every wait is bounded.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler

from site_src.publish.watcher import QUIET, EditObserver

from .test_content_examples import VALID

REPO = Path(__file__).resolve().parents[2]
SETTLE = QUIET + 1.0  # longer than the quiet period plus MkDocs' own 0.1 s wait


class Seen(FileSystemEventHandler):
    def __init__(self) -> None:
        self.events: list[FileSystemEvent] = []

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.events.append(event)


def test_the_observer_passes_on_one_event_per_burst_of_edits_and_none_for_reads(tmp_path: Path) -> None:
    record = tmp_path / "HC-001.yml"
    record.write_text("alias: 小雨\n", encoding="utf-8")
    seen = Seen()
    observer = EditObserver()
    observer.schedule(seen, str(tmp_path), recursive=True)
    observer.start()
    try:
        time.sleep(0.2)
        for _ in range(20):
            record.read_bytes()
        time.sleep(SETTLE)
        assert seen.events == []
        for i in range(5):  # an editor saving in several writes
            record.write_text(f"alias: 小雨{i}\n", encoding="utf-8")
        deadline = time.monotonic() + 10
        while not seen.events and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(SETTLE)
        assert [(e.event_type, Path(str(e.src_path)).name) for e in seen.events] == [("modified", "HC-001.yml")]
    finally:
        observer.stop()
        observer.join(timeout=10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode("utf-8")
    except OSError:
        return None


def test_mkdocs_serve_rebuilds_once_per_edit_and_never_on_a_read(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(VALID, content)
    port = _free_port()
    log_path = tmp_path / "serve.log"
    env = dict(os.environ, QINGYI_CONTENT=str(content), NO_MKDOCS_2_WARNING="1", CI="true")
    mkdocs = str(Path(sys.executable).with_name("mkdocs"))
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen([mkdocs, "serve", "--dirty", "-a", f"127.0.0.1:{port}", "-f", str(REPO / "mkdocs.yml")],
                                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    lock = threading.Lock()

    def log_text() -> str:
        with lock:
            return log_path.read_text(encoding="utf-8", errors="replace")

    def rebuilds() -> int:
        return log_text().count("Detected file changes")

    try:
        url = f"http://127.0.0.1:{port}/cottages/HC-001.html"
        deadline = time.monotonic() + 120
        while _get(url) is None:
            assert proc.poll() is None and time.monotonic() < deadline, log_text()[-3000:]
            time.sleep(0.2)
        time.sleep(SETTLE)
        assert rebuilds() == 0, log_text()[-3000:]

        for path in sorted(content.rglob("*.yml")):  # what `cat content/cottages/HC-013.yml` does, to every file
            path.read_bytes()
        time.sleep(2 * SETTLE)
        assert rebuilds() == 0, log_text()[-3000:]

        cottage = content / "cottages" / "HC-001.yml"
        cottage.write_text(cottage.read_text(encoding="utf-8").replace("alias: 小雨", "alias: 小星"), encoding="utf-8")
        deadline = time.monotonic() + 60
        while "化名</dt><dd>小星<" not in (_get(url) or ""):
            assert proc.poll() is None and time.monotonic() < deadline, log_text()[-3000:]
            time.sleep(0.1)
        time.sleep(2 * SETTLE)  # the rebuild read every file again: that must not start another
        assert rebuilds() == 1, log_text()[-3000:]
        assert log_text().count("Reloading browsers") == 1
    finally:
        proc.send_signal(signal.SIGINT)  # MkDocs stops its observer and server on Ctrl-C
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
