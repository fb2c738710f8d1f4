"""Run the API alone on this machine: ``make api`` (``python -m infra.local_api``).

1. starts moto's server on 127.0.0.1 serving **one request at a time**
   (moto's threaded server is not safe for concurrent transactions), with its
   transaction rollback made proportional to the items a transaction touches
   (:func:`speed_up_moto_transactions`);
2. deploys the ledger table from infra/data.yaml through moto's CloudFormation;
3. serves the Chalice app on 127.0.0.1:``QINGYI_API_PORT`` (default 8001)
   until Ctrl-C.

The pieces are functions so ``make serve`` and the tests can reuse them:
:func:`start_moto`, :func:`deploy_table`, :func:`start_api`, :func:`run`.
Nothing here is imported by the Lambda bundle.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from chalice.local import ChaliceRequestHandler, LocalGateway, LocalGatewayException

ROOT = Path(__file__).resolve().parent.parent

LOOPBACK = "127.0.0.1"


# ---- moto, one request at a time ----------------------------------------------------


_patched = False
_patch_lock = threading.Lock()


def speed_up_moto_transactions() -> None:
    """Make moto's TransactWriteItems back up only the items it touches.

    moto deep-copies the *whole table* once per item of every transaction so
    it can roll back; with a few thousand pledges that is seconds per pledge.
    Here the table-wide copy becomes a no-op and the items the transaction
    names are snapshotted instead, then restored if the transaction fails.
    A transaction can change only the items it names, so the state after a
    failure is the same as moto's own rollback gives (tests/api check it).
    """
    global _patched
    with _patch_lock:
        if _patched:
            return
        from moto.dynamodb import models
        from moto.dynamodb.models.table import Table

        real_copy = copy

        class _TableCopyIsFree:
            @staticmethod
            def deepcopy(value: Any, memo: Any = None) -> Any:
                if isinstance(value, Table):
                    return value
                return real_copy.deepcopy(value, memo)

            def __getattr__(self, name: str) -> Any:
                return getattr(real_copy, name)

        original = models.DynamoDBBackend.transact_write_items

        def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
            snapshots: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []
            for entry in transact_items:
                try:
                    _, op = next(iter(entry.items()))
                    table = self.get_table(op["TableName"])
                    if "Item" in op:
                        key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                        if table.range_key_attr is not None:
                            key[table.range_key_attr] = op["Item"][table.range_key_attr]
                    else:
                        key = op["Key"]
                    current = self.get_item(op["TableName"], key)
                except Exception:  # noqa: BLE001 - moto itself reports malformed operations
                    continue
                before = real_copy.deepcopy(current.to_json()["Attributes"]) if current is not None else None
                snapshots.append((op["TableName"], key, before))
            try:
                original(self, transact_items)
            except Exception:
                for table_name, key, before in reversed(snapshots):
                    if before is None:
                        if self.get_item(table_name, key) is not None:
                            self.delete_item(table_name, key)
                    else:
                        self.put_item(table_name, before)
                raise

        models.copy = _TableCopyIsFree()  # type: ignore[assignment]
        models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
        _patched = True


@dataclass
class MotoServer:
    server: Any
    thread: threading.Thread

    @property
    def endpoint(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def start_moto(port: int = 0, journal: Path | None = None) -> MotoServer:
    """moto's server on 127.0.0.1 (``port`` 0 = any free port), serving one request at a time.

    With ``journal`` (a state folder), every write it acknowledges is on disk first (infra/journal.py).
    """
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    speed_up_moto_transactions()

    class OneAtATime(MotoRequestHandler):
        protocol_version = "HTTP/1.0"  # no keep-alive: one client cannot hold the only worker
        disable_nagle_algorithm = True  # the answer leaves at once (see RequestHandler)

        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass

    app: Any = DomainDispatcherApplication(create_backend_app)
    if journal is not None:
        from infra.journal import Journal, JournalingApp

        app = JournalingApp(app, Journal(journal))
    server = make_server(LOOPBACK, port, app, threaded=False, processes=1, request_handler=OneAtATime)
    thread = threading.Thread(target=server.serve_forever, name="moto", daemon=True)
    thread.start()
    return MotoServer(server, thread)


def fake_credentials() -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def deploy_table(endpoint: str, stage: str = "dev") -> str:
    """Deploy infra/data.yaml on the moto server at ``endpoint``; return the table name."""
    import boto3

    from infra.tables import deploy_data_stack

    fake_credentials()
    region = os.environ["AWS_DEFAULT_REGION"]
    cfn = boto3.client("cloudformation", endpoint_url=endpoint, region_name=region)
    ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name=region)
    return deploy_data_stack(cfn, ddb, stage)


# ---- the API -------------------------------------------------------------------------------


@dataclass
class ApiServer:
    server: Any
    thread: threading.Thread

    @property
    def url(self) -> str:
        host, port = self.server.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server.server_close()
        self.thread.join(timeout=10)


class RouteNotFound(LocalGatewayException):
    CODE = 404


class GatewayAsDeployed(LocalGateway):
    """chalice's stand-in for API Gateway, answering as the deployed API does where chalice's differs.

    * A path no route has: 404 with the API's error shape (what infra/api-merge.yaml's
      MISSING_AUTHENTICATION_TOKEN response sends), not 403 "Missing Authentication Token".
    * OPTIONS reaches the app like any method: 204 where a route declares it, 405 elsewhere
      (chalice answers 200 on every path, which the deployed API does not).
    """

    def _generate_lambda_event(self, method: str, path: str, headers: Any, body: Any) -> Any:
        try:
            return super()._generate_lambda_event(method, path, headers, body)
        except ValueError:  # chalice's RouteMatcher: no route for this path
            from chalicelib import errors

            body_out = json.dumps(errors.NotFound().body(), ensure_ascii=False).encode("utf-8")
            raise RouteNotFound({"Content-Type": "application/json; charset=utf-8"}, body_out) from None

    def _has_user_defined_options_method(self, lambda_event: Any) -> bool:
        return True


class RequestHandler(ChaliceRequestHandler):
    """chalice's request handler over :class:`GatewayAsDeployed`, for every method.

    http.server answers 501 to a method it has no ``do_`` handler for (TRACE, ...);
    here every method reaches the app, which answers 405 to one a path does not declare.
    """

    # Headers and body leave in two writes; without TCP_NODELAY a keep-alive client's delayed
    # ACK holds the second one back for 40 ms on every request.
    disable_nagle_algorithm = True

    def __init__(self, request: Any, client_address: Any, server: Any, app_object: Any, config: Any) -> None:
        self.local_gateway = GatewayAsDeployed(app_object, config)
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self._generic_handle
        raise AttributeError(name)


def check_catalogue() -> Path:
    from chalicelib import catalogue

    where = catalogue.path()
    if not where.exists():
        raise SystemExit(
            f"找不到项目目录文件 {where}：请先运行 make catalogue。\n"
            f"The catalogue {where} is missing: run `make catalogue` first (or set QINGYI_CATALOGUE)."
        )
    catalogue.load()  # fail now, with the reason, rather than on the first request
    return where


def start_api(port: int) -> ApiServer:
    """The Chalice app on 127.0.0.1:``port`` (chalice's local server, one thread per request, as deployed)."""
    import app as app_module
    from chalice.config import Config
    from chalice.local import LocalDevServer

    config = Config.create(chalice_stage="dev", app_name="qingyi-api", project_dir=str(ROOT / "api"))
    server = LocalDevServer(app_module.app, config, LOOPBACK, port, handler_cls=RequestHandler)
    # Track request threads, so stop() waits for requests in flight before the state is saved.
    server.server.daemon_threads = False
    thread = threading.Thread(target=server.server.serve_forever, name="api", daemon=True)
    thread.start()
    return ApiServer(server, thread)


def run() -> int:
    where = check_catalogue()
    moto = start_moto(0)
    try:
        table = deploy_table(moto.endpoint)
        os.environ["QINGYI_DYNAMODB_ENDPOINT"] = moto.endpoint
        os.environ["QINGYI_TABLE"] = table
        api = start_api(int(os.environ.get("QINGYI_API_PORT", "8001")))
    except BaseException:
        moto.stop()
        raise
    print(f"moto (one request at a time): {moto.endpoint}  table: {table}")
    print(f"catalogue: {where}")
    print(f"API: {api.url}  (OpenAPI: {api.url}/openapi.json)  Ctrl-C stops")

    def stop(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
    try:
        while True:  # sleep in short steps: Ctrl-C (SIGINT) is delivered between them
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("stopping")
    finally:
        api.stop()
        moto.stop()
    return 0


def spawn_moto() -> tuple[Any, str]:
    """moto's one-at-a-time server in its own process (so it does not share a GIL with its clients).

    Returns (process, endpoint); stop it with ``process.terminate()``.
    """
    import socket
    import subprocess

    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "moto", str(port)])
    endpoint = f"http://{LOOPBACK}:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the moto server process exited early")
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5):
                return process, endpoint
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError("the moto server did not start within 60 s")


def serve_moto(port: int, journal: Path | None = None) -> int:
    server = start_moto(port, journal)
    try:
        server.thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["moto"]:
        sys.exit(serve_moto(int(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) > 3 else None))
    sys.exit(run())
