"""A small Language Server Protocol client over stdio, for driving the real yaml-language-server in tests.

Every wait is bounded; the server is stopped by its own pid.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SERVER = REPO / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"


class LanguageServer:
    """yaml-language-server started with ``--stdio``; requests wait at most ``timeout`` seconds."""

    def __init__(self, node: str, timeout: float = 30.0) -> None:
        self.timeout = timeout
        #: The client's settings by section ("yaml", "[yaml]", ...): the server pulls them (workspace/configuration)
        #: whenever it is told they changed, as VS Code answers from .vscode/settings.json.
        self.configuration: dict[str, Any] = {}
        self.configured = threading.Event()  # set once the server has pulled the settings
        self.proc = subprocess.Popen([node, str(SERVER), "--stdio"], cwd=REPO, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._next = 0
        self._replies: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self.diagnostics: dict[str, list[dict[str, Any]]] = {}
        self._published = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    # ---- wire format: Content-Length framed JSON-RPC ----
    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode("ascii") + body)
        self.proc.stdin.flush()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return  # the server has gone
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length is None:
                continue
            message = json.loads(out.read(length).decode("utf-8"))
            self._dispatch(message)

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" in message and "method" in message:  # a request from the server: answer, never leave it waiting
            result: Any = None
            if message["method"] == "workspace/configuration":
                result = [self.configuration.get(item.get("section", "")) for item in message["params"]["items"]]
            self._send({"id": message["id"], "result": result})
            if message["method"] == "workspace/configuration":
                self.configured.set()
        elif "id" in message:
            with self._lock:
                box = self._replies.get(message["id"])
            if box is not None:
                box.put(message)
        elif message.get("method") == "textDocument/publishDiagnostics":
            with self._published:
                self.diagnostics[message["params"]["uri"]] = message["params"]["diagnostics"]
                self._published.notify_all()

    # ---- the calls the tests make ----
    def request(self, method: str, params: dict[str, Any]) -> Any:
        with self._lock:
            self._next += 1
            rid = self._next
            box: queue.Queue[dict[str, Any]] = queue.Queue()
            self._replies[rid] = box
        self._send({"id": rid, "method": method, "params": params})
        try:
            reply = box.get(timeout=self.timeout)
        except queue.Empty:
            raise TimeoutError(f"{method}: no answer in {self.timeout} s") from None
        finally:
            with self._lock:
                self._replies.pop(rid, None)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result")

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self._send({"method": method, "params": params})

    def open(self, uri: str, text: str, version: int = 1) -> list[dict[str, Any]]:
        """Open (or reopen) a document and return the diagnostics the server publishes for it."""
        with self._published:
            self.diagnostics.pop(uri, None)
        self.notify("textDocument/didOpen",
                    {"textDocument": {"uri": uri, "languageId": "yaml", "version": version, "text": text}})
        return self.wait_diagnostics(uri)

    def close(self, uri: str) -> None:
        self.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    def wait_diagnostics(self, uri: str) -> list[dict[str, Any]]:
        deadline = time.monotonic() + self.timeout
        with self._published:
            while uri not in self.diagnostics:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no diagnostics published for {uri} in {self.timeout} s")
                self._published.wait(left)
            return self.diagnostics[uri]

    def stop(self) -> None:
        try:
            self.request("shutdown", {})
            self.notify("exit", {})
            self.proc.wait(timeout=5)
        except (TimeoutError, RuntimeError, OSError, subprocess.TimeoutExpired):
            pass
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
