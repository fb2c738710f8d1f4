"""Lighthouse (pinned in package.json, 12.2.3) on the built site, mobile preset, with Debian's Chromium.

``make bench`` runs it: the demo site is built with ``mkdocs build``, served on 127.0.0.1 the way
CloudFront serves it (gzip for text, long cache for the hashed theme assets), with the real API of
the local stack behind the live widgets (so no page logs a failed request), and Lighthouse's mobile
preset (simulated slow 4G, a mid-range phone's CPU) is run on each page kind. Prints a table and one
JSON line. The targets are performance 95 and accessibility, best practices and SEO 100: the last three
are facts of the pages and fail the bench when missed; performance is speed, measured and printed
(a row below 95 is marked), never asserted (the house rule for timings on a shared machine). Each page is run ``QINGYI_LIGHTHOUSE_RUNS`` times (3) and the run with the median performance
score is kept (Lighthouse's own advice for variable hosts).

CPU: Lighthouse's 4x slowdown assumes a high-end desktop host (benchmarkIndex 1500-2000) and turns it
into a mid-tier phone. This machine is two cores shared with other work, so its index is measured
first and the multiplier picked from the table in Lighthouse's docs/throttling.md ("Calibrating the
CPU slowdown": to target a mid-tier mobile, 4x from a high-end desktop, 2x from a low-end desktop or
high-end mobile host, 1x from a mid-tier mobile one); the index and multiplier are printed with the
table. Cottage pages carry ``noindex`` on purpose (children's privacy), so their SEO score is
printed but held to 100 only without the is-crawlable audit, which ``noindex`` fails by design.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import conftest as e2e  # the module, not its names: pytest would collect test_content
from tests.e2e.conftest import CHROMIUM, PAGE_KINDS, ROOT, LocalStack, free_port

LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
PAGES = PAGE_KINDS
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TARGET = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}
TEXT = (".html", ".css", ".js", ".json", ".svg", ".xml", ".txt", ".ico")


class CdnLikeHandler(SimpleHTTPRequestHandler):
    """Static files as CloudFront sends them: gzip when asked (text only), cache headers."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the standard library's name
        pass

    def send_head(self) -> Any:
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        wants_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (wants_gzip and path.is_file() and path.suffix in TEXT):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), 6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def end_headers(self) -> None:
        hashed = "/assets/stylesheets/" in self.path or "/assets/javascripts/" in self.path
        self.send_header("Cache-Control", "public, max-age=31536000, immutable" if hashed else "public, max-age=300")
        super().end_headers()


RUNS = int(os.environ.get("QINGYI_LIGHTHOUSE_RUNS", "3"))


def multiplier_for(benchmark_index: float) -> float:
    """The CPU slowdown that makes this host a mid-tier phone (Lighthouse docs/throttling.md)."""
    if benchmark_index >= 1500:
        return 4
    if benchmark_index >= 800:
        return 2
    return 1


def _lighthouse(url: str, out: Path, cpu: float = 4) -> dict[str, Any]:
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    command = [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}",
               f"--throttling.cpuSlowdownMultiplier={cpu}",
               f"--only-categories={','.join(CATEGORIES)}", "--form-factor=mobile",
               "--chrome-flags=--headless=new --no-sandbox --disable-gpu --no-first-run"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8"))


def _failed_audits(report: dict[str, Any], category: str) -> list[str]:
    refs = report["categories"][category]["auditRefs"]
    return [f"{r['id']} ({report['audits'][r['id']].get('displayValue', '')})".replace(" ()", "")
            for r in refs if r.get("weight", 0) > 0 and (report["audits"][r["id"]].get("score") or 0) < 1]


@pytest.mark.bench
def test_lighthouse_mobile_scores(tmp_path: Path) -> None:
    assert LIGHTHOUSE.exists(), "node_modules/.bin/lighthouse is missing: run `npm ci` (make test does)"
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    content = e2e.test_content(tmp_path / "content")
    site_port, stack_site_port, api_port = free_port(), free_port(), free_port()
    site = f"http://127.0.0.1:{site_port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("QINGYI_")}
    env.update(QINGYI_API_URL=f"http://127.0.0.1:{api_port}", QINGYI_SITE_URL=site + "/", QINGYI_CONTENT=str(content),
               QINGYI_SITE_ORIGINS=site, NO_MKDOCS_2_WARNING="1", CI="true")
    site_dir = tmp_path / "site"
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "--site-dir", str(site_dir)],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    stack = LocalStack(tmp_path, content, tmp_path / "unused-site", stack_site_port, api_port, env)
    (tmp_path / "unused-site").mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", site_port), partial(CdnLikeHandler, directory=str(site_dir)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    rows: dict[str, dict[str, Any]] = {}
    try:
        stack.start()
        calibration = _lighthouse(site + PAGES["cottage"], tmp_path / "calibration.json")
        index = float(calibration["environment"]["benchmarkIndex"])
        cpu = multiplier_for(index)
        for name, path in PAGES.items():
            reports = [_lighthouse(site + path, tmp_path / f"{name}.json", cpu) for _ in range(RUNS)]
            reports.sort(key=lambda r: r["categories"]["performance"]["score"] or 0)
            report = reports[len(reports) // 2]
            (tmp_path / f"{name}.json").write_text(json.dumps(report), encoding="utf-8")
            scores = {c: round((report["categories"][c]["score"] or 0) * 100) for c in CATEGORIES}
            weight = report["audits"]["total-byte-weight"]["numericValue"]
            audits = report["audits"]
            rows[name] = {**scores, "kb": round(weight / 1024), "lcp_ms": round(audits["largest-contentful-paint"]["numericValue"]),
                          "cls": round(audits["cumulative-layout-shift"]["numericValue"], 3),
                          "tbt_ms": round(audits["total-blocking-time"]["numericValue"]),
                          "misses": {c: _failed_audits(report, c) for c in CATEGORIES if scores[c] < 100}}
            (ROOT / "test-artifacts").mkdir(exist_ok=True)
            shutil.copy(tmp_path / f"{name}.json", ROOT / "test-artifacts" / f"lighthouse-{name}.json")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        stack.stop()
    print(f"\nLighthouse 12.2.3, mobile preset, median of {RUNS} runs; host benchmarkIndex {index:.0f}, "
          f"CPU slowdown {cpu:g}x (calibrated to a mid-tier phone)")
    print("page       perf  a11y  best   seo   KB(transfer)  LCP ms    CLS  TBT ms")
    for name, r in rows.items():
        flag = " " if r["performance"] >= TARGET["performance"] else "*"
        print(f"{name:<10} {r['performance']:>3}{flag}  {r['accessibility']:>4}  {r['best-practices']:>4}  {r['seo']:>4}"
              f"  {r['kb']:>12}  {r['lcp_ms']:>6}  {r['cls']:>5.3f}  {r['tbt_ms']:>6}")
        for category, misses in r["misses"].items():
            print(f"{'':<10} {category}: {', '.join(misses)}")
    print(json.dumps({"bench": "lighthouse-mobile", "benchmark_index": round(index), "cpu_slowdown": cpu, "pages": {k: {c: v[c] for c in (*CATEGORIES, 'kb', 'lcp_ms', 'cls', 'tbt_ms')}
                                                              for k, v in rows.items()}}, ensure_ascii=False))
    print("* below the performance target of 95")
    below = []
    for name, r in rows.items():
        for category, target in TARGET.items():
            if category == "performance":
                continue  # measured, not asserted
            misses = r["misses"].get(category, [])
            if name == "cottage" and category == "seo":
                misses = [m for m in misses if not m.startswith("is-crawlable")]  # noindex: children's privacy
                if not misses:
                    continue
            if r[category] < target:
                below.append(f"{name} {category} {r[category]} < {target}: {misses}")
    assert not below, "\n".join(below)
