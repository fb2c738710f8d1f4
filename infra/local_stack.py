"""``make serve``: the whole product on this laptop, on 127.0.0.1 only.

What runs where (every child is started here and stopped here, by its own pid):

=====================  ==========================================  =======================
piece                  what                                         where
=====================  ==========================================  =======================
DynamoDB emulator      moto's server, one request at a time         child process, a free port
                       (moto is not safe for concurrent
                       transactions: README, "Facts that shaped
                       the design"), ledger table from
                       infra/data.yaml
API                    the Chalice app (api/app.py), chalice's      this process (a thread),
                       local server                                 ``QINGYI_API_PORT`` (8001)
site                   ``mkdocs serve --dirty`` with live reload,   child process,
                       pages call the API above                     ``QINGYI_SITE_PORT`` (8000)
local state            a snapshot of every item plus a journal of   ``.local-state/`` (gitignored)
                       each acknowledged write (infra/journal.py)
WeChat Pay, Alipay     fake gateways (infra/fakes/) that sign and   this process (threads),
                       encrypt as the real services, with keys      free ports
                       made at start; their pay pages are marked
                       本地模拟支付 and notify the API above
provider secret        ``qingyi/local/payment-providers`` in the    the emulator (Secrets
                       emulator's Secrets Manager, written at start Manager), not journaled
payments tick          expiry and reconciliation every 60 s (on     this process (a thread)
                       AWS the 5-minute schedule in api/app.py)
=====================  ==========================================  =======================

Nothing acknowledged is lost: the emulator journals every write it answers, on
disk before the answer leaves it (infra/journal.py), so a SIGKILL, an OOM kill
or a closed terminal loses nothing the API confirmed. The children die with
this process (the kernel signals them when it dies: PR_SET_PDEATHSIG), and a
port held by a stale stack of ours is named with the command that stops it.

Start: both ports are checked first (one in use → a bilingual message and exit
code 2, nothing started); the catalogue is compiled from ``content/``; the
table is deployed and the snapshot and journal are replayed into it through
the DynamoDB API itself, then compacted; on the very first start a few demo
pledges are made through the API (their message says they are demo data).
Stop (Ctrl-C = SIGINT, SIGTERM, or SIGHUP when the terminal closes): the site,
then the API (requests in flight finish first), then the state is compacted
into a new snapshot, then the emulator stops.

``--static DIR`` serves an already built site folder instead of ``mkdocs serve``
(the browser tests build once and restart only the API side).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from infra import journal
from infra.journal import Journal

ROOT = Path(__file__).resolve().parents[1]

LOOPBACK = "127.0.0.1"
TOKENS_FILE = "tokens.json"
PID_FILE = "stack.json"
DEMO_NOTE = "演示数据：本地首次启动时自动生成"  # shown on the donor wall, so Chinese only


class PortInUse(Exception):
    pass


# ---- ports ---------------------------------------------------------------------------------


def port_free(port: int) -> bool:
    """True when a server could listen on 127.0.0.1:``port`` (same socket options as the servers use)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def check_ports(ports: dict[str, int], state_dir: Path | None = None) -> None:
    """Raise :class:`PortInUse` with a bilingual sentence for every port already taken."""
    busy = [(name, port) for name, port in ports.items() if not port_free(port)]
    if busy:
        lines = []
        stale = stale_stack(state_dir) if state_dir is not None else None
        if stale is not None:
            lines.append(
                f"之前的 make serve（进程 {stale}）还在运行并占用端口：请在它的终端按 Ctrl-C，或运行 kill {stale}。\n"
                f"An earlier make serve (pid {stale}) is still running and holds the port: press Ctrl-C in its "
                f"terminal, or run `kill {stale}`."
            )
        for name, port in busy:
            env = {"site": "QINGYI_SITE_PORT", "api": "QINGYI_API_PORT"}[name]
            lines.append(
                f"端口 {port} 已被占用（{'网站' if name == 'site' else 'API'}）：请关闭占用它的程序，或换一个端口，"
                f"例如 {env}={port + 10} make serve。\n"
                f"Port {port} ({name}) is already in use: stop whatever holds it, or pick another port, "
                f"e.g. {env}={port + 10} make serve."
            )
        raise PortInUse("\n".join(lines))


def wait_for_port(port: int, process: subprocess.Popen[Any] | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"a child process exited early (code {process.returncode})")
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listened on {LOOPBACK}:{port} within {timeout:.0f} s")


# ---- children that die with us, and stale stacks -----------------------------------------------

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent() -> None:
    """In a child, before exec: the kernel sends SIGTERM when the process that started it dies."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the clean stop still stops every child
        pass
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def stale_stack(state_dir: Path) -> int | None:
    """The pid of an earlier ``make serve`` of ours that is still running, from its pid file."""
    try:
        pid = int(json.loads((state_dir / PID_FILE).read_text(encoding="utf-8"))["pid"])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError, KeyError):
        return None
    return pid if pid != os.getpid() and b"local_stack" in cmdline else None


# ---- demo state and tokens -----------------------------------------------------------------------

DEMO_PLEDGES = (
    {"amount_fen": 5000, "display_name": "演示·小青", "message": DEMO_NOTE},
    {"amount_fen": 2000, "anonymous": True, "message": DEMO_NOTE},
    {"amount_fen": 880, "display_name": "演示·团团", "message": DEMO_NOTE},
)


def demo_projects(catalogue: dict[str, Any]) -> list[str]:
    """Projects taking pledges in a campaign marked ``demo: true``."""
    out: list[str] = []
    for campaign in catalogue.get("campaigns", {}).values():
        if campaign.get("demo"):
            for pid in campaign.get("project_ids", []):
                project = catalogue.get("projects", {}).get(pid, {})
                if project.get("accepting_pledges") and pid not in out:
                    out.append(pid)
    return out


def post_json(url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def seed_demo(api_url: str, catalogue: dict[str, Any], pay: Callable[[str], None] | None = None) -> int:
    """A few pledges on each demo project, through the API (so the ledger's own rules apply).

    With ``pay``, each is then paid on the fake WeChat Pay exactly as a donor would (a checkout,
    then the fake's signed notification to the API), so the demo shows money that arrived.
    """
    made = 0
    for pid in demo_projects(catalogue):
        for n, pledge in enumerate(DEMO_PLEDGES, start=1):
            body = {"donor_key": f"demo-seed-donor-{n:02d}", **pledge}
            headers = {"Idempotency-Key": f"demo-seed-{pid}-{n}", "Qingyi-Client": f"demo-seed-client-{n:02d}"}
            status, answer = post_json(f"{api_url}/projects/{pid}/pledges", body, headers)
            if status != 201:
                raise RuntimeError(f"seeding a demo pledge on {pid} got {status}: {answer}")
            if pay is not None:
                status, order = post_json(
                    f"{api_url}/pledges/{answer['pledge_id']}/checkout",
                    {"provider": "wechat", "channel": "native"},
                    {"Donor-Token": answer["donor_token"]},
                )
                if status != 200:
                    raise RuntimeError(f"paying a demo pledge on {pid} got {status}: {order}")
                pay(answer["pledge_id"])
            made += 1
    return made


@dataclass
class LocalProviders:
    """The fake WeChat Pay and Alipay on 127.0.0.1, and the provider secret that points the API at them."""

    wechat: Any
    alipay: Any
    secret_name: str = "qingyi/local/payment-providers"

    @classmethod
    def start(cls) -> LocalProviders:
        from infra.fakes.alipay_server import FakeAlipay
        from infra.fakes.wechat_server import FakeWeChatPay

        return cls(FakeWeChatPay().start(), FakeAlipay().start())

    def secret(self, api_url: str, site_url: str) -> dict[str, Any]:
        return {
            "wechat": self.wechat.secret_section(f"{api_url}/payments/wechat/notify"),
            "alipay": self.alipay.secret_section(f"{api_url}/payments/alipay/notify", return_url=f"{site_url}pledge/"),
            "bank": {
                "account_name": "本地模拟·某慈善基金会 / local simulation",
                "bank_name": "本地模拟银行 / local simulated bank",
                "account_number": "6200000000000000000",
            },
        }

    def install(self, moto_endpoint: str, api_url: str, site_url: str) -> None:
        """Write the secret into the emulator's Secrets Manager and point the API's client at it."""
        import boto3

        client = boto3.client("secretsmanager", endpoint_url=moto_endpoint, region_name=os.environ["AWS_DEFAULT_REGION"])
        value = json.dumps(self.secret(api_url, site_url))
        try:
            client.create_secret(Name=self.secret_name, SecretString=value)
        except client.exceptions.ResourceExistsException:
            client.put_secret_value(SecretId=self.secret_name, SecretString=value)
        os.environ["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = moto_endpoint
        os.environ["QINGYI_PROVIDER_SECRET"] = self.secret_name

    def stop(self) -> None:
        self.wechat.stop()
        self.alipay.stop()


class PaymentsTick:
    """Expiry and reconciliation every ``seconds`` in a thread (the schedule's work, locally)."""

    def __init__(self, seconds: float = 60.0, log: Any = print) -> None:
        self.seconds = seconds
        self.log = log
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="payments-tick", daemon=True)

    def start(self) -> PaymentsTick:
        self._thread.start()
        return self

    def _run(self) -> None:
        from chalicelib import notifications, services

        while not self._stop.wait(self.seconds):
            try:
                notifications.tick(services.ledger())
            except Exception as exc:  # noqa: BLE001 - the next tick tries again; say why
                self.log(f"payments tick failed: {type(exc).__name__}: {exc}")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def local_tokens(state_dir: Path, catalogue: dict[str, Any]) -> dict[str, str]:
    """Tokens for trying the private routes locally: an operator and an admin of each demo programme,
    the platform admin, and one per volunteer team (roles as on AWS, see chalicelib/auth.py).

    Made once (random) and kept in ``.local-state/tokens.json``; the API gets only their digests.
    """
    path = state_dir / TOKENS_FILE
    tokens: dict[str, str] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    tokens = {role: token for role, token in tokens.items() if role != "operator"}  # the unscoped role is gone
    programmes = sorted(
        {
            e.get("programme_id")
            for kind in ("projects", "campaigns", "needs", "cottages")
            for e in catalogue.get(kind, {}).values()
        }
        - {None}
    )
    roles = [f"{kind}:{p}" for p in programmes for kind in ("operator", "admin")] + ["admin"]
    roles += [f"team:{t}" for t in sorted(catalogue.get("volunteer_teams", {}))]
    changed = False
    for role in roles:
        if role not in tokens:
            tokens[role] = "local-" + secrets.token_urlsafe(18)
            changed = True
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(tokens, ensure_ascii=False, indent=1), encoding="utf-8")
        path.chmod(0o600)
    return tokens


#: Local operator and admin tokens expire too (the API refuses a staff token without an expiry).
LOCAL_STAFF_EXPIRES = "2099-01-01T00:00:00+08:00"


def token_digests(tokens: dict[str, str]) -> str:
    def entry(role: str) -> Any:
        return role if role.startswith("team:") else {"role": role, "expires": LOCAL_STAFF_EXPIRES}

    return json.dumps({hashlib.sha256(token.encode()).hexdigest(): entry(role) for role, token in tokens.items()})


# ---- the site ------------------------------------------------------------------------------------


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the standard library's name
        pass


@dataclass
class StaticSite:
    server: ThreadingHTTPServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def serve_static(folder: Path, port: int) -> StaticSite:
    server = ThreadingHTTPServer((LOOPBACK, port), partial(QuietHandler, directory=str(folder)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site", daemon=True)
    thread.start()
    return StaticSite(server, thread)


def stop_child(process: subprocess.Popen[Any] | None, name: str, timeout: float = 15) -> None:
    """SIGTERM to this one child (its own pid), then SIGKILL if it does not go within ``timeout``."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"{name} (pid {process.pid}) did not stop within {timeout:.0f} s; killing it", file=sys.stderr)
        process.kill()
        process.wait(timeout=5)


# ---- the stack -------------------------------------------------------------------------------------


@dataclass
class Stack:
    site_port: int
    api_port: int
    state_dir: Path
    content: Path
    static: Path | None = None
    site: bool = True
    seed: bool = True
    log: Any = print
    table: str = ""
    moto_endpoint: str = ""
    catalogue: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    _moto: subprocess.Popen[Any] | None = None
    _mkdocs: subprocess.Popen[Any] | None = None
    _api: Any = None
    _static: StaticSite | None = None
    providers: LocalProviders | None = None
    _tick: PaymentsTick | None = None
    tick_seconds: float = 60.0

    @property
    def api_url(self) -> str:
        return f"http://{LOOPBACK}:{self.api_port}"

    @property
    def site_url(self) -> str:
        return f"http://{LOOPBACK}:{self.site_port}/"

    @property
    def journal(self) -> Journal:
        return Journal(self.state_dir)

    def compile_catalogue(self) -> Path:
        out = self.state_dir / "catalogue.json"
        self.state_dir.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [sys.executable, "-m", "site_src", "--content", str(self.content), "catalogue", "--out", str(out)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(done.stdout + done.stderr)
        self.catalogue = json.loads(out.read_text(encoding="utf-8"))
        return out

    def start(self) -> None:
        ports = {"api": self.api_port}
        if self.site:
            ports["site"] = self.site_port
        check_ports(ports, self.state_dir)
        started = time.monotonic()
        catalogue_path = self.compile_catalogue()
        from infra import local_api as api_local

        api_local.fake_credentials()
        origins = {f"http://{LOOPBACK}:{self.site_port}", f"http://localhost:{self.site_port}"}
        extra = {o.strip() for o in os.environ.get("QINGYI_SITE_ORIGINS", "").split(",") if o.strip()}
        os.environ["QINGYI_SITE_ORIGINS"] = ",".join(sorted(origins | extra))
        os.environ["QINGYI_CATALOGUE"] = str(catalogue_path)
        if not os.environ.get("QINGYI_OPERATOR_TOKENS"):
            self.tokens = local_tokens(self.state_dir, self.catalogue)
            os.environ["QINGYI_OPERATOR_TOKENS"] = token_digests(self.tokens)
        moto_port = free_port()
        self._moto = subprocess.Popen(
            [sys.executable, "-m", "infra.local_api", "moto", str(moto_port), str(self.state_dir)],
            cwd=ROOT,
            start_new_session=True,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - only prctl, before exec
        )
        (self.state_dir / PID_FILE).write_text(json.dumps({"pid": os.getpid(), "ports": ports}), encoding="utf-8")
        try:
            wait_for_port(moto_port, self._moto)
            self.moto_endpoint = f"http://{LOOPBACK}:{moto_port}"
            self.table = api_local.deploy_table(self.moto_endpoint)
            os.environ["QINGYI_DYNAMODB_ENDPOINT"] = self.moto_endpoint
            os.environ["QINGYI_TABLE"] = self.table
            first_start = not self.journal.snapshot_path.is_file()
            # Replays the snapshot and its journal, then compacts: from here every write is journaled,
            # so a restart restores (and never seeds twice).
            restored, replayed = journal.restore(self.moto_endpoint, self.journal)
            self.providers = LocalProviders.start()
            self.providers.install(self.moto_endpoint, self.api_url, self.site_url)
            self._api = api_local.start_api(self.api_port)
            self._tick = PaymentsTick(self.tick_seconds, self.log).start()
            pay = self.providers.wechat.pay
            seeded = seed_demo(self.api_url, self.catalogue, pay) if first_start and self.seed else 0
            if self.site:
                self._start_site()
        except BaseException:
            self.stop(dump=False)
            raise
        self.log(f"青益本地运行 / Qingyi running locally ({time.monotonic() - started:.1f} s)")
        self.log(
            f"  网站 site      {self.site_url}"
            + (f"  (static: {self.static})" if self.static else "  (mkdocs serve, live reload)" if self.site else "")
        )
        self.log(f"  API            {self.api_url}  (OpenAPI: {self.api_url}/openapi.json)")
        self.log(f"  DynamoDB (moto, one request at a time) {self.moto_endpoint}  table {self.table}")
        if self.providers is not None:
            self.log(
                f"  本地模拟支付 local payments  WeChat Pay {self.providers.wechat.url}  Alipay {self.providers.alipay.url}"
                f"  (fake gateways, keys made at start; expiry and reconciliation every {self.tick_seconds:.0f} s)"
            )
        self.log(
            f"  state          {self.state_dir}: "
            + (
                f"restored {restored} item(s) and replayed {replayed} journaled write(s)"
                if not first_start
                else f"first start, {seeded} demo pledge(s) made"
            )
        )
        if self.tokens:
            self.log(
                f"  tokens         {self.state_dir / TOKENS_FILE} (operator:/admin:<programme> per demo programme, admin, one per volunteer team)"
            )

    def _start_site(self) -> None:
        if self.static is not None:
            self._static = serve_static(self.static, self.site_port)
            return
        env = dict(
            os.environ,
            QINGYI_API_URL=self.api_url,
            QINGYI_CONTENT=str(self.content),
            QINGYI_SITE_URL=self.site_url,
            NO_MKDOCS_2_WARNING="1",
        )
        mkdocs = Path(sys.executable).with_name("mkdocs")
        command = [str(mkdocs)] if mkdocs.exists() else [sys.executable, "-m", "mkdocs"]
        self._mkdocs = subprocess.Popen(
            command + ["serve", "--dirty", "--dev-addr", f"{LOOPBACK}:{self.site_port}"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - only prctl, before exec
        )
        self.log("  网站正在构建，首次需要约半分钟 / the site is building (about half a minute the first time)")

    def compact(self) -> int:
        """Every item into a new snapshot, the journal started again (one request to the emulator)."""
        return int(journal.compact(self.moto_endpoint)["items"])

    def children_alive(self) -> str | None:
        """The name of a child that exited on its own, else None."""
        if self._moto is not None and self._moto.poll() is not None:
            return "moto"
        if self._mkdocs is not None and self._mkdocs.poll() is not None:
            return "mkdocs serve"
        return None

    def stop(self, dump: bool = True) -> None:
        if self._static is not None:
            self._static.stop()
            self._static = None
        stop_child(self._mkdocs, "mkdocs serve")
        self._mkdocs = None
        if self._tick is not None:
            self._tick.stop()
            self._tick = None
        if self._api is not None:
            self._api.stop()  # no new requests; those in flight finish (and are journaled) first
            self._api = None
        if self.providers is not None:
            self.providers.stop()
            self.providers = None
        if dump and self.table and self._moto is not None and self._moto.poll() is None:
            count = self.compact()
            self.log(f"本地状态已保存 / local state saved: {count} item(s) in {self.journal.snapshot_path}")
        stop_child(self._moto, "moto")
        self._moto = None
        (self.state_dir / PID_FILE).unlink(missing_ok=True)


def spawn(args: list[str], *, env: dict[str, str], log_path: Path, timeout: float = 120) -> subprocess.Popen[bytes]:
    """``infra/local_stack.py ARGS`` in its own process (tests, benchmarks), output to ``log_path``.

    Returns once it printed READY (bounded by ``timeout``); stop it with SIGINT so it saves its state.
    """
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    log.close()  # the child holds its own descriptor
    deadline = time.monotonic() + timeout
    while b"READY" not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the local stack did not start: {log_path.read_text(encoding='utf-8')[-2000:]}")
        time.sleep(0.2)
    return process


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python infra/local_stack.py", description="make serve: 青益本地全套 / the whole product locally"
    )
    parser.add_argument("--site-port", type=int, default=int(os.environ.get("QINGYI_SITE_PORT", "8000")))
    parser.add_argument("--api-port", type=int, default=int(os.environ.get("QINGYI_API_PORT", "8001")))
    parser.add_argument(
        "--state-dir", type=Path, default=Path(os.environ.get("QINGYI_STATE_DIR", ROOT / ".local-state"))
    )
    parser.add_argument("--content", type=Path, default=Path(os.environ.get("QINGYI_CONTENT", ROOT / "content")))
    parser.add_argument(
        "--static", type=Path, default=None, help="serve this built site folder instead of mkdocs serve"
    )
    parser.add_argument("--no-site", action="store_true", help="the API and the emulator only")
    parser.add_argument("--no-seed", action="store_true", help="no demo pledges on the first start")
    args = parser.parse_args(argv)
    stack = Stack(
        site_port=args.site_port,
        api_port=args.api_port,
        state_dir=args.state_dir.resolve(),
        content=args.content.resolve(),
        static=args.static,
        site=not args.no_site,
        seed=not args.no_seed,
        log=lambda line: print(line, flush=True),
    )

    def interrupt(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)  # the terminal closed: still save the state
    signal.signal(signal.SIGINT, interrupt)  # even when started with SIGINT ignored (a background job)
    try:
        stack.start()
    except PortInUse as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("stopped while starting", file=sys.stderr)
        return 130
    print("READY  Ctrl-C 停止全部 / Ctrl-C stops everything", flush=True)
    code = 0
    try:
        while True:  # short sleeps: signals are handled between them
            time.sleep(0.5)
            gone = stack.children_alive()
            if gone:
                print(f"{gone} 意外退出，正在停止全部 / {gone} exited on its own; stopping everything", file=sys.stderr)
                code = 1
                break
    except KeyboardInterrupt:
        print("正在停止 / stopping", flush=True)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the state dump short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        stack.stop()
    return code


if __name__ == "__main__":
    sys.exit(main())
