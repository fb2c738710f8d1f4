"""Fake payment providers on 127.0.0.1, shaped like the real services.

Each fake implements the endpoints our adapters call, checks our requests' signatures
the way the real service does, and signs (and for WeChat Pay encrypts) its replies and
notifications the way the real service does, with keys made here (RSA 2048, a
self-signed platform certificate). Each has a pay page marked 本地模拟支付 / local
payment simulation whose 确认支付 button POSTs the signed notification to the
configured ``notify_url``, so ``make serve`` can walk the donor path in a browser.

Started by test fixtures (``tests/api/test_provider_*.py``) and importable by the
local stack: ``FakeWeChatPay(notify_url=...).start()`` then ``.secret_section()`` is
the ``wechat`` section the adapter reads from the provider secret; the same for
``FakeAlipay``. Only loopback addresses; every wait is bounded.
"""

from __future__ import annotations

import functools
import ipaddress
import threading
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

LOOPBACK = "127.0.0.1"
DELIVERY_TIMEOUT_SECONDS = 5.0
STOP_TIMEOUT_SECONDS = 5.0


@functools.lru_cache(maxsize=16)
def rsa_key(label: str) -> rsa.RSAPrivateKey:
    """An RSA 2048 key per label, made once per process (key generation costs ~0.1 s)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def self_signed_certificate(key: rsa.RSAPrivateKey, common_name: str, serial: int) -> x509.Certificate:
    """A certificate valid from yesterday for a year, like a platform certificate's span."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )


def require_loopback(url: str) -> None:
    """Refuse any URL that is not on this machine's loopback interface."""
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        ok = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"fake providers talk to loopback addresses only, not {url!r}")


def deliver(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """POST a notification to a loopback notify_url; (status, body), bounded by a timeout."""
    require_loopback(url)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT_SECONDS) as reply:
            return reply.status, reply.read(65536)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(65536)
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        return 0, str(exc).encode()


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 (a free port by default), started and stopped explicitly."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int = 0) -> None:
        self._handler = handler
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.stopping = threading.Event()  # set on stop: interrupts simulated delays

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    def start(self) -> Any:
        server = ThreadingHTTPServer((LOOPBACK, self._port), self._handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]  (handlers reach the fake through it)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_SECONDS)
        self._server = self._thread = None

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Handler(BaseHTTPRequestHandler):
    """Shared request plumbing: the raw body, replies, and quiet logs."""

    protocol_version = "HTTP/1.1"

    @property
    def fake(self) -> Any:
        return self.server.fake  # type: ignore[attr-defined]

    def body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(length, 1 << 20)) if length > 0 else b""

    def reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test): nothing to say
            self.close_connection = True

    def html(self, status: int, page: str) -> None:
        self.reply(status, page.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (the stdlib's name)
        return


PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title} · 本地模拟支付</title>
<style>body{{font-family:sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}}
.banner{{background:#b45309;color:#fff;padding:.6rem 1rem;border-radius:.4rem;font-weight:bold}}
.amount{{font-size:2rem;margin:1rem 0}} button{{font-size:1.2rem;padding:.6rem 2rem}}</style></head>
<body><p class="banner" role="alert">本地模拟支付 / local payment simulation — 不会产生真实扣款 / no real money moves</p>
<h1>{title}</h1>{content}</body></html>"""
