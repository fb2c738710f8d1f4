"""Cold start against the number of cottages (``make bench``), one JSON line each.

The catalogue ships in the Lambda bundle, so whatever it holds is read on a cold start. Three
catalogues are compared: the demo's (compiled from content/), and the demo's plus synthetic
cottages up to 100,000 in two shapes: as shipped now (cottages in the sorted index beside the
JSON, see chalicelib.catalogue) and inline in the JSON (the shape shipped before, still accepted
for small test catalogues).

(a) load: the catalogue's size on disk, and the time to read it and look up one cottage,
    in-process, median of several runs.
(b) cold start: in a fresh interpreter, importing the app, creating its DynamoDB client and
    answering a first request (GET /cottages/{id}/visit-summary, invoked like Lambda with an
    API Gateway event, against moto's server on 127.0.0.1), beside a bare Chalice app that
    creates one DynamoDB client; runs interleaved, medians, bytecode compiled beforehand as a
    deployed package ships it. The ratio is ours / bare.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from chalicelib.catalogue import Catalogue, Cottage, cottage_index_path, encode

ROOT = Path(__file__).resolve().parents[2]
API = ROOT / "api"
COTTAGES = int(os.environ.get("QINGYI_BENCH_COTTAGES", "100000"))
RUNS = int(os.environ.get("QINGYI_BENCH_COLD_RUNS", "7"))


def emit(record: dict[str, Any]) -> None:
    print(json.dumps(record, ensure_ascii=False), flush=True)


def demo_catalogue(folder: Path) -> Path:
    from site_src.catalogue import write_catalogue
    from site_src.pipeline import CONTENT, check_content

    loaded = check_content(CONTENT)
    assert not loaded.report.errors
    return write_catalogue(loaded, folder / "catalogue.json")


def grown(demo: Path, folder: Path, total: int, *, inline: bool) -> tuple[Path, str]:
    """The demo catalogue with synthetic cottages up to ``total``; returns (path, a cottage id near the end)."""
    data = json.loads(demo.read_text(encoding="utf-8"))
    cottages = [
        line.split("\t") for line in cottage_index_path(demo).read_text(encoding="utf-8").splitlines()
    ]
    teams = sorted(data["volunteer_teams"])
    start = len(cottages)
    cottages += [[f"HC-{n:06d}", "laiwu", teams[n % len(teams)]] for n in range(start + 1, total + 1)]
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "catalogue.json"
    if inline:  # the shape before: every cottage in the JSON, with its stage
        data["cottages"] = {
            c: {"cottage_id": c, "programme_id": p or None, "team_id": t or None, "stage": "in_service"}
            for c, p, t in cottages
        }
    else:
        cottage_index_path(out).write_bytes(encode(Cottage(c, p or None, t or None) for c, p, t in cottages))
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    return out, cottages[-1][0]


def size(path: Path) -> int:
    index = cottage_index_path(path)
    return path.stat().st_size + (index.stat().st_size if index.exists() else 0)


def load_seconds(path: Path, cottage_id: str, runs: int = 5) -> float:
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        cat = Catalogue.from_dict(json.loads(path.read_text(encoding="utf-8")), cottage_index_path(path))
        assert cat.cottage(cottage_id).cottage_id == cottage_id
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def visit_summary_event(cottage_id: str) -> dict[str, Any]:
    """An API Gateway (REST, proxy) event as Lambda hands it to Chalice."""
    return {
        "resource": "/cottages/{cottage_id}/visit-summary",
        "path": f"/cottages/{cottage_id}/visit-summary",
        "httpMethod": "GET",
        "headers": {"Host": "127.0.0.1"},
        "multiValueHeaders": {"Host": ["127.0.0.1"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"cottage_id": cottage_id},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/cottages/{cottage_id}/visit-summary",
            "httpMethod": "GET",
            "path": f"/api/cottages/{cottage_id}/visit-summary",
            "stage": "api",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


def timed(cwd: Path, code: str, env: dict[str, str]) -> float:
    probe = f"import time; t = time.perf_counter()\n{code}\nprint(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", probe], cwd=cwd, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return float(out.stdout.strip().splitlines()[-1])


@pytest.mark.bench
def test_cold_start_does_not_grow_with_the_cottages(tmp_path: Path) -> None:
    from infra.local_api import deploy_table, fake_credentials, start_moto

    fake_credentials()
    demo = demo_catalogue(tmp_path / "demo")
    demo_cottage = cottage_index_path(demo).read_text(encoding="utf-8").splitlines()[-1].split("\t")[0]
    now, now_cottage = grown(demo, tmp_path / "index", COTTAGES, inline=False)
    before, before_cottage = grown(demo, tmp_path / "inline", COTTAGES, inline=True)
    cases = {"demo": (demo, demo_cottage), "index": (now, now_cottage), "inline": (before, before_cottage)}
    emit({
        "bench": "api.catalogue_load",
        "cottages": COTTAGES,
        **{f"{name}_bytes": size(path) for name, (path, _) in cases.items()},
        **{f"{name}_load_ms": round(load_seconds(path, cid) * 1000, 2) for name, (path, cid) in cases.items()},
    })

    moto = start_moto()
    try:
        table = deploy_table(moto.endpoint)
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "us-east-1",
            "QINGYI_DYNAMODB_ENDPOINT": moto.endpoint,
            "QINGYI_TABLE": table,
        }
        env.pop("QINGYI_NOW", None)
        bare = tmp_path / "bare"
        bare.mkdir()
        (bare / "bare_app.py").write_text(
            "from chalice import Chalice\nimport boto3\napp = Chalice(app_name='bare')\n"
            "client = boto3.client('dynamodb')\n"
        )
        probes = {
            name: textwrap.dedent(
                f"""
                import app
                from chalicelib import services
                services.ledger().store.client
                reply = app.app({visit_summary_event(cid)!r}, None)
                assert reply["statusCode"] == 200, reply
                """
            )
            for name, (_, cid) in cases.items()
        }
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(API), str(bare)], check=True,
                       capture_output=True)
        samples: dict[str, list[float]] = {"bare": [], **{name: [] for name in cases}}
        for _ in range(RUNS):  # interleaved, so a busy machine slows every case alike
            samples["bare"].append(timed(bare, "import bare_app", env))
            for name, (path, _) in cases.items():
                samples[name].append(timed(tmp_path, probes[name], {**env, "QINGYI_CATALOGUE": str(path)}))
    finally:
        moto.stop()
    medians = {name: statistics.median(values) for name, values in samples.items()}
    emit({
        "bench": "api.cold_start_by_cottages",
        "cottages": COTTAGES,
        "runs": RUNS,
        "first_request": "GET /cottages/{id}/visit-summary",
        **{f"{name}_ms": round(seconds * 1000, 1) for name, seconds in medians.items()},
        "ratio_demo": round(medians["demo"] / medians["bare"], 2),
        "ratio_index": round(medians["index"] / medians["bare"], 2),
        "ratio_inline_before": round(medians["inline"] / medians["bare"], 2),
    })
