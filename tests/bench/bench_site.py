"""Site build benchmark: N synthetic cottages, our build against stock mkdocs-material.

``make bench-site RECORDS=N`` (or ``python tests/bench/bench_site.py --records N``) copies the demo
content into a temporary folder, adds N synthetic cottages made by ``site_src.synthetic.cottage_dict``
and validated by the real ``Cottage`` model (they are not yet built, so the bulletin's "138 built"
still holds), compiles the API's catalogue from it (``python -m site_src catalogue``, what
``make catalogue`` runs: the same content pipeline as the build), builds the site with ``mkdocs build
--strict``, then builds the same N cottages as plain Markdown pages kept out of the navigation with
stock mkdocs-material (search plugin on), and prints ONE JSON line:

    {"records": N, "catalogue_seconds": ..., "seconds": ..., "peak_rss_mb": ..., "site_mb": ...,
     "search_index_mb": ..., "stock_seconds": ..., "ratio": ...}

peak_rss_mb is the largest sum of resident memory over the build process and its children
(worker processes included), sampled every 20 ms from /proc. ``--no-stock`` skips the stock build
(ratio is then null). Progress goes to stderr; stdout has only the JSON line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]

from site_src.models import Cottage  # noqa: E402
from site_src.synthetic import cottage_dict  # noqa: E402

SCHEMA = "# yaml-language-server: $schema=../../site_src/schemas/cottage.schema.json\n"
FIRST = 1000  # synthetic ids start at HC-1000, after the demo's HC-001..HC-150


def _say(msg: str) -> None:
    print(f"[bench-site] {msg}", file=sys.stderr, flush=True)


def _cottage(n: int) -> dict:
    rng = random.Random(n)
    upto = rng.randint(0, 6)  # never accepted: the demo's "138 built" stays exact
    batch = "laiwu-2022-b4" if upto >= 4 else None
    data = cottage_dict(n, rng, upto=upto, start=dt.date(2021, 12, 1), batch=batch)
    Cottage.model_validate(data)  # through the real model: the benchmark never writes an invalid record
    return data


def _write_range(args: tuple[str, int, int]) -> int:
    folder, lo, hi = args
    for n in range(lo, hi):
        data = _cottage(n)
        text = SCHEMA + yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False, width=120)
        with open(os.path.join(folder, f"{data['id']}.yml"), "w", encoding="utf-8") as fh:
            fh.write(text)
    return hi - lo


def _stock_range(args: tuple[str, int, int]) -> int:
    folder, lo, hi = args
    for n in range(lo, hi):
        c = _cottage(n)
        stages = "\n".join(f"- {k}: {v}" for k, v in c["stages"].items())
        text = (f"# 希望小屋 {c['id']}\n\n示例数据\n\n- 化名：{c['alias']}\n- 年龄段：{c['age_band']}岁\n"
                f"- 乡镇（街道）：{c['township']}\n- 家庭类别：{'、'.join(c['household'])}\n\n## 进度\n\n{stages}\n")
        with open(os.path.join(folder, f"{c['id']}.md"), "w", encoding="utf-8") as fh:
            fh.write(text)
    return hi - lo


def _parallel(fn, folder: Path, n: int) -> None:
    step = max(1, n // 16)
    chunks = [(str(folder), FIRST + i, FIRST + min(i + step, n)) for i in range(0, n, step)]
    with multiprocessing.get_context("fork").Pool(os.cpu_count() or 2) as pool:
        pool.map(fn, chunks)


def _tree_rss_kb(root_pid: int) -> int:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            ppid, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        pid = int(entry)
        children.setdefault(ppid, []).append(pid)
        rss[pid] = pages * (os.sysconf("SC_PAGE_SIZE") // 1024)
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def _timed(cmd: list[str], cwd: Path, env: dict[str, str], log: Path, timeout: float | None = None,
           ) -> tuple[float, float, int]:
    """Run ``cmd``; return (seconds, peak tree RSS in MB, return code). CPU time and load go to stderr."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_before = os.getloadavg()[0]
    peak = 0
    with open(log, "w") as out:
        started = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss_kb(proc.pid))
                done.wait(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            rc = -1
        seconds = time.monotonic() - started
        done.set()
        sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    label = " ".join([Path(cmd[0]).name] + [c for c in cmd[1:4] if not c.startswith("/")])
    _say(f"{label}: {seconds:.1f} s wall, {cpu:.1f} s CPU (build and its workers), "
         f"load average {load_before:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return seconds, peak / 1024, rc


def _size_mb(path: Path) -> float:
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(dirpath, f))
    return total / 1e6


def run(records: int, stock: bool = True, keep: bool = False, stock_timeout: float | None = None) -> dict:
    work = Path(tempfile.mkdtemp(prefix="qingyi-bench-"))
    try:
        content = work / "content"
        shutil.copytree(REPO / "content", content)
        t = time.monotonic()
        _parallel(_write_range, content / "cottages", records)
        _say(f"{records} synthetic cottages written in {time.monotonic() - t:.1f} s")
        mkdocs = str(Path(sys.executable).with_name("mkdocs"))
        env = dict(os.environ, QINGYI_CONTENT=str(content), CI="true", NO_MKDOCS_2_WARNING="1")
        catalogue_s, _, rc = _timed([sys.executable, "-m", "site_src", "--content", str(content), "catalogue",
                                     "--out", str(work / "catalogue.json")], REPO, env, work / "catalogue.log")
        if rc:
            _say((work / "catalogue.log").read_text()[-4000:])
            raise SystemExit(f"the catalogue failed (exit {rc})")
        _say(f"catalogue: {catalogue_s:.1f} s")
        site = work / "site"
        seconds, rss, rc = _timed([mkdocs, "build", "--strict", "-q", "-f", str(REPO / "mkdocs.yml"), "-d", str(site)],
                                  REPO, env, work / "build.log")
        if rc:
            _say((work / "build.log").read_text()[-4000:])
            raise SystemExit(f"the site build failed (exit {rc})")
        _say(f"our build: {seconds:.1f} s, {rss:.0f} MB")
        index = site / "search" / "search_index.json"
        result = {"records": records, "catalogue_seconds": round(catalogue_s, 2), "seconds": round(seconds, 2), "peak_rss_mb": round(rss, 1),
                  "site_mb": round(_size_mb(site), 1),
                  "search_index_mb": round(index.stat().st_size / 1e6, 2) if index.exists() else None,
                  "stock_seconds": None, "ratio": None}
        if stock:
            proj = work / "stock"
            (proj / "docs" / "cottages").mkdir(parents=True)
            (proj / "docs" / "index.md").write_text("# 希望小屋\n\n全部小屋不在导航中。\n", encoding="utf-8")
            _parallel(_stock_range, proj / "docs" / "cottages", records)
            (proj / "mkdocs.yml").write_text(
                "site_name: stock\ntheme:\n  name: material\n  language: zh\nplugins:\n  - search\n"
                "nav:\n  - index.md\nvalidation:\n  nav:\n    omitted_files: ignore\n", encoding="utf-8")
            stock_s, _, rc = _timed([mkdocs, "build", "-q", "-d", str(work / "stock-site")], proj,
                                    dict(env, QINGYI_CONTENT=""), work / "stock.log", timeout=stock_timeout)
            if rc == -1:
                _say(f"stock build stopped unfinished after {stock_s:.0f} s: stock_seconds > {stock_s:.0f}, "
                     f"ratio < {seconds / stock_s:.3f} (both left null)")
                return result
            if rc:
                raise SystemExit(f"the stock build failed (exit {rc}): {(work / 'stock.log').read_text()[-2000:]}")
            _say(f"stock build: {stock_s:.1f} s")
            result["stock_seconds"] = round(stock_s, 2)
            result["ratio"] = round(seconds / stock_s, 3)
        return result
    finally:
        if keep:
            _say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


@pytest.mark.bench
def test_bench_site_1000() -> None:
    print(json.dumps(run(1000)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--no-stock", action="store_true")
    parser.add_argument("--stock-timeout", type=float, default=None,
                        help="stop the stock build after this many seconds (its figures are then null)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--serve", action="store_true",
                        help="instead: time an edited YAML file showing under `mkdocs serve --dirty`")
    args = parser.parse_args()
    if args.serve:
        print(json.dumps(serve_latency(args.records)), flush=True)
        return
    print(json.dumps(run(args.records, stock=not args.no_stock, keep=args.keep, stock_timeout=args.stock_timeout)),
          flush=True)



def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> str | None:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.read().decode("utf-8")
    except OSError:
        return None


def serve_latency(records: int, edits: int = 3) -> dict:
    """Start `mkdocs serve --dirty` on N cottages, edit one YAML file, time until the page shows it."""
    work = Path(tempfile.mkdtemp(prefix="qingyi-serve-"))
    proc = None
    log = None
    try:
        content = work / "content"
        shutil.copytree(REPO / "content", content)
        _parallel(_write_range, content / "cottages", records)
        port = _free_port()
        mkdocs = str(Path(sys.executable).with_name("mkdocs"))
        env = dict(os.environ, QINGYI_CONTENT=str(content), NO_MKDOCS_2_WARNING="1")
        log = open(work / "serve.log", "w")  # noqa: SIM115 - closed with the server, in finally
        started = time.monotonic()
        proc = subprocess.Popen([mkdocs, "serve", "--dirty", "--livereload",
                                 "-a", f"127.0.0.1:{port}", "-f", str(REPO / "mkdocs.yml")],
                                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}/cottages/HC-{FIRST:03d}.html"
        deadline = time.monotonic() + 600
        while _get(url) is None:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("mkdocs serve did not come up:\n" + (work / "serve.log").read_text()[-3000:])
            time.sleep(0.2)
        initial = time.monotonic() - started
        time.sleep(2)  # let the watcher settle after the first build
        target = content / "cottages" / f"HC-{FIRST:03d}.yml"
        seen = []
        for i in range(edits):
            marker = ["小星", "小禾", "小树"][i % 3]
            text = target.read_text(encoding="utf-8")
            new = re.sub(r"^alias: .*$", f"alias: {marker}", text, flags=re.M)
            if new == text:
                new = re.sub(r"^alias: .*$", "alias: 小麦", text, flags=re.M)
                marker = "小麦"
            t0 = time.monotonic()
            target.write_text(new, encoding="utf-8")
            while True:
                page = _get(url) or ""
                if f"化名</dt><dd>{marker}<" in page:
                    break
                if time.monotonic() - t0 > 120:
                    raise SystemExit("the edit never showed:\n" + (work / "serve.log").read_text()[-3000:])
                time.sleep(0.05)
            seen.append(round(time.monotonic() - t0, 2))
            time.sleep(1.5)
        return {"records": records, "serve_initial_seconds": round(initial, 1), "edit_visible_seconds": seen}
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        if log is not None:
            log.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
