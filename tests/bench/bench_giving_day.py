"""A simulated giving day through a real caching proxy (``make bench``): do the polls reach the origin?

On a giving day every open project page polls its progress and donor wall. CloudFront stands in
front of the API in production (infra/site.yaml, the /api/ behaviours) and keeps each public answer
as long as the API's Cache-Control says. Here Debian's nginx plays CloudFront on 127.0.0.1 (same
rules: it honours ``s-maxage`` / ``max-age`` and ``stale-while-revalidate``, keys on the path and
query, never caches a POST or a ``no-store`` answer), in front of the real local stack
(``infra/local_stack.py --no-site``: the Chalice app over the one-request-at-a-time emulator).

For each number of open pages N, ``wrk`` (C, so the load generator is not the bottleneck) sends
the polls of N pages (each page: progress and the donor wall every 15 s, i.e. N × 2 / 15 requests
per second) for a fixed time, while a Python thread makes M pledges per second through the proxy
(uncached). Printed per N, one JSON line: viewer requests/s, origin requests/s (counted from the
proxy's log: requests it sent upstream), their ratio, pledges acknowledged, and the staleness a
viewer saw (how long ago the origin already had a higher pledge count than the cached answer
showed; p50 and max over probes every 0.5 s).

The claim checked is the shape, not a speed: origin requests per second stay about one per public
path per max-age, whatever N is.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from infra.local_stack import free_port, spawn

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "laiwu-hope-cottages-2022"
PATHS = (f"/projects/{PROJECT}/progress", f"/projects/{PROJECT}/pledges?limit=20")
POLL_SECONDS = 15
SECONDS = int(os.environ.get("QINGYI_BENCH_GIVING_DAY_SECONDS", "20"))
PAGES = [int(n) for n in os.environ.get("QINGYI_BENCH_PAGES", "1000,10000,100000").split(",")]
PLEDGES_PER_SECOND = 5

NGINX_CONF = """\
{user}
worker_processes 1;
error_log {tmp}/error.log warn;
pid {tmp}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
  log_format upstream '$upstream_addr $upstream_cache_status $request_method $uri';
  access_log {tmp}/access.log upstream;
  proxy_cache_path {tmp}/cache keys_zone=api:10m max_size=100m inactive=10m;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://127.0.0.1:{api_port};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache api;
      proxy_cache_key $request_uri;          # path and query, as the CloudFront cache policy
      proxy_cache_lock on;                   # one origin request per expired key, as CloudFront
      proxy_cache_use_stale updating error timeout;
      proxy_cache_background_update on;      # stale-while-revalidate
      proxy_cache_revalidate on;             # If-None-Match to the origin when a copy expires
      proxy_ignore_headers Set-Cookie;
    }}
  }}
}}
"""

WRK_SCRIPT = """\
local paths = {{{paths}}}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
delay = function()
  return {delay_ms}
end
"""


def _get(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as reply:  # noqa: S310 - 127.0.0.1 only
        return dict(json.loads(reply.read()))


def _count(progress: dict[str, Any]) -> int:
    """The figure a donor watches move on the project page."""
    return int(progress["pledge_count"])


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Any:
    for tool in ("nginx", "wrk"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} is missing: apt-get install nginx-light wrk (make bench installs them as root)")
    tmp = tmp_path_factory.mktemp("giving-day")
    api_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QINGYI_")}
    # wrk sends every request from 127.0.0.1 as one client: the abuse limits (429 past 10 pledges a
    # minute per browser, chalicelib/limits.py) are not what this bench measures.
    env.update(QINGYI_RATE_PER_CLIENT="100000000", QINGYI_RATE_NEW_CLIENTS="100000000")
    args = ["--no-site", "--no-seed", "--api-port", str(api_port), "--state-dir", str(tmp / "state")]
    serve = spawn(args, env=env, log_path=tmp / "serve.log")
    yield tmp, api_port
    serve.send_signal(signal.SIGINT)
    serve.wait(timeout=60)


def _proxy(tmp: Path, api_port: int) -> tuple[subprocess.Popen[bytes], int, Path]:
    folder = tmp / f"nginx-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    port = free_port()
    user = "user root;" if os.geteuid() == 0 else ""
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(user=user, tmp=folder, port=port, api_port=api_port), encoding="utf-8")
    process = subprocess.Popen(["nginx", "-e", str(folder / "error.log"), "-p", str(folder), "-c", str(conf),
                                "-g", "daemon off;"])
    deadline = time.monotonic() + 20
    while True:
        try:
            _get(f"http://127.0.0.1:{port}/health")
            break
        except (urllib.error.URLError, OSError):
            assert process.poll() is None and time.monotonic() < deadline, (folder / "error.log").read_text()
            time.sleep(0.1)
    return process, port, folder


def _pledges(proxy: str, stop: threading.Event, acknowledged: list[int]) -> None:
    for _ in range(PLEDGES_PER_SECOND * 3600):  # bounded
        if stop.wait(1 / PLEDGES_PER_SECOND):
            return
        body = json.dumps({"amount_fen": 1000, "donor_key": "gd-" + uuid.uuid4().hex[:16], "display_name": "捐赠日"})
        request = urllib.request.Request(
            f"{proxy}/projects/{PROJECT}/pledges", data=body.encode(), method="POST",
            headers={"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310 - 127.0.0.1 only
                if reply.status == 201:
                    acknowledged.append(1)
        except (urllib.error.URLError, OSError):
            pass


def _staleness(proxy: str, origin: str, stop: threading.Event, seen: list[float]) -> None:
    history: list[tuple[float, int]] = []  # when the origin first showed each count
    for _ in range(SECONDS * 4 + 100):  # bounded
        if stop.wait(0.5):
            return
        now = time.monotonic()
        try:
            at_origin = _count(_get(origin + PATHS[0]))
            shown = _count(_get(proxy + PATHS[0]))
        except (urllib.error.URLError, OSError, ValueError):
            continue
        if not history or history[-1][1] != at_origin:
            history.append((now, at_origin))
        newer = [t for t, count in history if count > shown]
        seen.append(now - newer[0] if newer else 0.0)


@pytest.mark.bench
@pytest.mark.parametrize("pages", PAGES)
def test_giving_day_through_a_caching_proxy(stack: Any, pages: int) -> None:
    tmp, api_port = stack
    proxy_process, proxy_port, folder = _proxy(tmp, api_port)
    proxy, origin = f"http://127.0.0.1:{proxy_port}", f"http://127.0.0.1:{api_port}"
    target_rate = pages * len(PATHS) / POLL_SECONDS
    # Debian's wrk has no --rate (that is wrk2): each connection waits delay_ms between requests,
    # so connections × 1000 / delay_ms is the rate the pages poll at.
    connections = max(2, min(128, round(target_rate / 100)))
    delay_ms = max(1, round(connections * 1000 / target_rate))
    script = folder / "polls.lua"
    script.write_text(
        WRK_SCRIPT.format(paths=", ".join(json.dumps(p) for p in PATHS), delay_ms=delay_ms), encoding="utf-8"
    )
    stop, acknowledged, staleness = threading.Event(), [], []
    helpers = [threading.Thread(target=_pledges, args=(proxy, stop, acknowledged)),
               threading.Thread(target=_staleness, args=(proxy, origin, stop, staleness))]
    for helper in helpers:
        helper.start()
    try:
        done = subprocess.run(
            ["wrk", "-t", "1", "-c", str(connections), "-d", f"{SECONDS}s", "-s", str(script), "--latency", proxy],
            capture_output=True, text=True, timeout=SECONDS + 60,
        )
    finally:
        stop.set()
        for helper in helpers:
            helper.join(timeout=30)
        proxy_process.send_signal(signal.SIGQUIT)
        proxy_process.wait(timeout=30)
    assert done.returncode == 0, done.stderr
    lines = (folder / "access.log").read_text(encoding="utf-8").splitlines()
    polls = [line for line in lines if line.split()[2] == "GET"]
    to_origin = [line for line in polls if not line.startswith("-")]
    viewer_rate = len(polls) / SECONDS
    origin_rate = len(to_origin) / SECONDS
    print(json.dumps({
        "bench": "giving_day", "pages": pages, "seconds": SECONDS,
        "viewer_requests_per_s_needed": round(target_rate, 1),
        "pages_simulated": round(viewer_rate * POLL_SECONDS / len(PATHS)),
        "viewer_requests_per_s": round(viewer_rate, 1),
        "origin_requests_per_s": round(origin_rate, 2),
        "origin_per_viewer_request": round(origin_rate / viewer_rate, 5) if viewer_rate else None,
        "paths": len(PATHS),
        "pledges_acknowledged": len(acknowledged),
        "staleness_p50_s": round(statistics.median(staleness), 2) if staleness else None,
        "staleness_max_s": round(max(staleness), 2) if staleness else None,
    }), flush=True)
    # Say so when this machine could not send what N pages would: the figure is then for fewer pages.
    assert viewer_rate > 0
