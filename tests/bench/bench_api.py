"""API benchmarks (``make bench``), one JSON line each.

(a) capacity: 125,000 pledges at a simulated 12,500/s into one project and one
    pool, 80% of them paid 1.5 simulated seconds later: 100,000 confirmations at
    10,000/s (Ledger.confirm_payment, where the match is drawn), interleaved with
    the pledges, through the real ledger code, over a store that records every
    item written. Gives the confirmations per simulated second, the most writes
    (and write units) any one item takes in a simulated second, the same for the
    index partitions (donor wall, pending), and the write units per pledge, per
    confirmation and per confirmed pledge from DynamoDB's published rules (1 unit
    per started KB of each item written, twice that inside a transaction; refused
    conditional writes are charged too). moto's ReturnConsumedCapacity is not
    used: moto does not report it for transactions.
(b) cold start: importing the app and creating its DynamoDB client, in a fresh
    interpreter, beside a bare Chalice app that creates one DynamoDB client.
(c) latency in-process against moto: p50/p99 of a pledge and of a progress read.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import textwrap
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
API = ROOT / "api"

PLEDGES = int(os.environ.get("QINGYI_BENCH_PLEDGES", "125000"))
RATE = 12_500  # pledges per simulated second
PAID_SHARE = 0.8  # so confirmations arrive at 10,000 per simulated second
PAY_DELAY = int(RATE * 1.5)  # a pledge is paid 1.5 simulated seconds after it is made
START = datetime(2021, 9, 7, 2, 0, tzinfo=UTC)  # 10:00 in Beijing, inside the window


def emit(record: dict[str, Any]) -> None:
    print(json.dumps(record, ensure_ascii=False), flush=True)


def bench_catalogue(pool_fen: int) -> dict[str, Any]:
    return {
        "version": 1,
        "projects": {
            "spike": {
                "project_id": "spike",
                "name": "spike",
                "programme_id": "p",
                "goal_fen": 10**10,
                "status": "fundraising",
                "accepting_pledges": True,
                "campaign_ids": ["giving-day"],
                "team_ids": ["spike-team"],
            }
        },
        "campaigns": {
            "giving-day": {
                "campaign_id": "giving-day",
                "name": "giving day",
                "programme_id": "p",
                "pool_fen": pool_fen,
                "demo": True,
                "windows": [{"start": "2021-09-07T00:00:00+08:00", "end": "2021-09-10T00:00:00+08:00"}],
                "rules": {
                    "ratio_bp": 10000,
                    "minimum_pledge_fen": 100,
                    "per_donor_daily_cap_fen": 99900,
                    "per_project_cap_fen": pool_fen * 2,
                    "team_bonus": {"threshold_fen": 10**8, "extra_project_cap_fen": 10**6},
                    "velocity_per_minute": 5,
                },
                "project_ids": ["spike"],
            }
        },
        "teams": {
            "spike-team": {
                "team_id": "spike-team",
                "name": "t",
                "project_id": "spike",
                "campaign_id": "giving-day",
                "parent_org": "o",
                "captain_alias": "c",
                "target_fen": 10**8,
            }
        },
        "needs": {},
        "cottages": {},
        "volunteer_teams": {},
    }


@pytest.mark.bench
def test_capacity_at_10000_confirmations_per_second() -> None:
    from chalicelib import errors
    from chalicelib.catalogue import Catalogue
    from chalicelib.ledger import Ledger
    from chalicelib.pledges import PledgeRequest
    from chalicelib.providers.base import Payment
    from chalicelib.store import Check, MemoryStore, Put, item_size, write_units

    clock = {"t": 0.0}  # simulated seconds since START

    class RecordingStore(MemoryStore):
        """The in-memory store, noting every item written (or refused) and when."""

        def __init__(self) -> None:
            super().__init__()
            self.per_item: dict[tuple[str, str], dict[int, list[int]]] = defaultdict(
                lambda: defaultdict(lambda: [0, 0])
            )
            self.per_gsi: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
            self.units = 0
            self.writes = 0
            self.refused = 0

        def _note(self, key: tuple[str, str], item: dict[str, Any], transactional: bool) -> None:
            second = int(clock["t"])
            units = write_units(item, transactional=transactional)
            cell = self.per_item[key][second]
            cell[0] += 1
            cell[1] += units
            self.units += units
            self.writes += 1
            before = self.items.get(key) or {}
            # an index write lands on the partition of the new key and, when the key moves, the old one
            for partition in {item.get("gsi1pk"), before.get("gsi1pk")} - {None}:
                gsi = self.per_gsi[str(partition)][second]
                gsi[0] += 1
                gsi[1] += max(1, -(-item_size(item) // 1024))

        def _apply(self, op: Any, *, transactional: bool) -> None:
            # note before applying, so the item's previous index key is still known
            if not isinstance(op, Check):
                if isinstance(op, Put):
                    new = {"pk": op.key[0], "sk": op.key[1], **op.item}
                else:
                    new = {**(self.items.get(op.key) or {"pk": op.key[0], "sk": op.key[1]}), **op.set}
                self._note(op.key, new, transactional)
            super()._apply(op, transactional=transactional)

        def rejected(self, ops: Any, failed: list[int]) -> None:
            self.refused += 1
            for op in ops:
                if isinstance(op, Check):
                    continue
                current = (
                    op.item if isinstance(op, Put) else (self.items.get(op.key) or {"pk": op.key[0], "sk": op.key[1]})
                )
                self._note(op.key, {"pk": op.key[0], "sk": op.key[1], **current}, len(ops) > 1)

    pool_fen = 600_000_000  # ¥6,000,000: spent about 70% of the way through the replay
    catalogue = Catalogue.from_dict(bench_catalogue(pool_fen))
    campaign = catalogue.campaigns["giving-day"]
    store = RecordingStore()
    ledger = Ledger(
        store,
        lambda: catalogue,
        now=lambda: START + timedelta(seconds=clock["t"]),
        monotonic=lambda: clock["t"],
        sleep=lambda seconds: None,
        cache_seconds=1.5,
    )
    rng = random.Random(99)
    started = time.perf_counter()
    statuses: dict[str, int] = defaultdict(int)
    confirmed_per_second: dict[int, int] = defaultdict(int)
    units = {"pledge": 0, "confirm": 0}
    waiting: dict[int, tuple[str, int]] = {}
    busy = 0

    def confirm(n: int) -> None:
        nonlocal busy
        pledge_id, amount = waiting.pop(n)
        payer = f"openid-{rng.randrange(PLEDGES // 2):08d}"
        before = store.units
        try:
            view = ledger.confirm_payment(Payment("wechat", pledge_id, f"4200{n:012d}", amount, payer, ledger.now()))
        except errors.ServiceBusy:
            busy += 1
            return
        finally:
            units["confirm"] += store.units - before
        statuses[view["match_reason"] or "full"] += 1
        confirmed_per_second[int(clock["t"])] += 1

    for n in range(PLEDGES + PAY_DELAY):
        clock["t"] = n / RATE
        if n < PLEDGES:
            request = PledgeRequest(
                amount_fen=rng.randint(100, 20000),
                donor_key=f"donor-{rng.randrange(PLEDGES // 2):08d}",
                display_name="捐赠人",
                anonymous=False,
                team_id="spike-team" if rng.random() < 0.3 else None,
                message=None,
                contact=None,
            )
            source = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
            before = store.units
            response = ledger.pledge("spike", request, f"bench-key-{n:09d}", f"fp-{n}", source)
            units["pledge"] += store.units - before
            if rng.random() < PAID_SHARE:
                waiting[n] = (response["pledge_id"], request.amount_fen)
        if n - PAY_DELAY in waiting:
            confirm(n - PAY_DELAY)
    elapsed = time.perf_counter() - started
    confirmed = sum(confirmed_per_second.values())

    hottest_key, hottest = max(
        ((key, max(seconds.values(), key=lambda c: c[0])) for key, seconds in store.per_item.items()),
        key=lambda kv: kv[1][0],
    )
    hottest_units = max(max(c[1] for c in seconds.values()) for seconds in store.per_item.values())
    gsi_key, gsi = max(
        ((key, max(seconds.values(), key=lambda c: c[0])) for key, seconds in store.per_gsi.items()),
        key=lambda kv: kv[1][0],
    )
    wall_max = max(
        max(c[0] for c in seconds.values()) for key, seconds in store.per_gsi.items() if key.startswith("WALL#")
    )
    families: dict[str, int] = defaultdict(int)  # the busiest item of each kind (POOL, PTOTAL, ...)
    for key, seconds in store.per_item.items():
        family = key[0].split("#")[0]
        families[family] = max(families[family], max(c[1] for c in seconds.values()))
    pool = ledger.pool(campaign, fresh=True)
    assert pool.remaining_fen >= 0 and min(pool.remaining) >= 0
    assert hottest[0] < 1000 and hottest_units < 1000, "an item would be throttled"
    assert gsi[0] < 1000, "an index partition would be throttled"
    full_seconds = [v for s, v in confirmed_per_second.items() if 2 <= s < PLEDGES // RATE]  # steady state
    emit(
        {
            "bench": "api.capacity",
            "pledges": PLEDGES,
            "simulated_pledges_per_s": RATE,
            "confirmed": confirmed,
            "busy": busy,
            "confirmations_per_simulated_s_steady": round(statistics.mean(full_seconds)) if full_seconds else None,
            "confirmations_per_simulated_s_max": max(confirmed_per_second.values()),
            "shards": ledger.shards,
            "max_writes_per_item_per_s": hottest[0],
            "max_write_units_per_item_per_s": hottest_units,
            "hottest_item": "#".join(hottest_key[0].split("#")[:2]),
            "max_write_units_per_s_by_item_kind": dict(sorted(families.items(), key=lambda kv: -kv[1])[:6]),
            "max_writes_per_index_partition_per_s": gsi[0],
            "hottest_index_partition": "#".join(gsi_key.split("#")[:2]),
            "max_writes_per_wall_partition_per_s": wall_max,
            "write_units_per_pledge": round(units["pledge"] / PLEDGES, 2),
            "write_units_per_confirmation": round(units["confirm"] / max(1, confirmed), 2),
            "write_units_per_confirmed_pledge": round(
                units["confirm"] / max(1, confirmed) + units["pledge"] / PLEDGES, 2
            ),
            "items_written_per_operation": round(store.writes / (PLEDGES + confirmed), 2),
            "refused_transactions": store.refused,
            "attempts_per_operation": round(ledger.stats["attempts"] / (PLEDGES + confirmed), 3),
            "pool_fen": pool_fen,
            "pool_remaining_fen": pool.remaining_fen,
            "outcomes": dict(statuses),
            "replay_seconds": round(elapsed, 1),
        }
    )


@pytest.mark.bench
def test_cold_start_ratio(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "app.py").write_text(
        "from chalice import Chalice\nimport boto3\napp = Chalice(app_name='bare')\nclient = boto3.client('dynamodb')\n"
    )
    ours = textwrap.dedent(
        """
        import app
        from chalicelib import services
        services.ledger().store.client
        """
    )
    catalogue = ROOT / "tests" / "api" / "catalogues" / "worked.json"
    first_request = ours + "from chalicelib import catalogue; catalogue.load()\n"

    def timed(cwd: Path, code: str, extra_env: dict[str, str] | None = None) -> float:
        probe = f"import time; t = time.perf_counter()\n{code}\nprint(time.perf_counter() - t)"
        out = subprocess.run(
            [sys.executable, "-c", probe],
            cwd=cwd,
            env={**env, "PYTHONPATH": f"{cwd}", **(extra_env or {})},
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return float(out.stdout.strip().splitlines()[-1])

    # Bytecode compiled beforehand (as a deployed package would ship it), runs
    # interleaved so that a busy machine slows all three alike; medians reported.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(API), str(bare)], check=True, capture_output=True)
    runs = 11
    samples: dict[str, list[float]] = {"bare": [], "ours": [], "first": []}
    for _ in range(runs):
        samples["bare"].append(timed(bare, "import app"))
        samples["ours"].append(timed(API, ours))
        samples["first"].append(timed(API, first_request, {"QINGYI_CATALOGUE": str(catalogue)}))
    bare_s, ours_s, first_s = (statistics.median(samples[k]) for k in ("bare", "ours", "first"))
    emit(
        {
            "bench": "api.cold_start",
            "runs": runs,
            "bare_chalice_plus_dynamodb_client_ms": round(bare_s * 1000, 1),
            "qingyi_app_plus_client_ms": round(ours_s * 1000, 1),
            "qingyi_with_catalogue_loaded_ms": round(first_s * 1000, 1),
            "ratio": round(ours_s / bare_s, 2),
            "ratio_with_catalogue": round(first_s / bare_s, 2),
        }
    )


@pytest.mark.bench
def test_latency_in_process_against_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    from moto import mock_aws

    from infra.local_api import speed_up_moto_transactions
    from infra.tables import deploy_data_stack
    from tests.api.conftest import base_env
    from tests.api.gateway import Api

    base_env(monkeypatch)
    speed_up_moto_transactions()
    samples = int(os.environ.get("QINGYI_BENCH_LATENCY_SAMPLES", "300"))
    with mock_aws():
        table = deploy_data_stack(boto3.client("cloudformation"), boto3.client("dynamodb"), "dev")
        monkeypatch.setenv("QINGYI_TABLE", table)
        for cache in ("0", "1.5"):
            monkeypatch.setenv("QINGYI_CACHE_SECONDS", cache)
            import app as app_module

            from chalicelib import services

            services.reset()
            api = Api(app_module.app)
            rng = random.Random(5)
            pledge_ms: list[float] = []
            confirm_ms: list[float] = []
            progress_ms: list[float] = []
            for n in range(samples):
                body = {"amount_fen": rng.randint(100, 5000), "donor_key": f"donor-lat-{n:06d}", "display_name": "x"}
                t = time.perf_counter()
                reply = api.pledge("laiwu-cottages", f"lat-{cache}-{n:06d}", body, source=f"10.1.{n % 250}.{n // 250}")
                pledge_ms.append((time.perf_counter() - t) * 1000)
                assert reply.status == 201
                t = time.perf_counter()
                assert api.pay(reply.json["pledge_id"], f"acct-lat-{n:06d}").status == 200
                confirm_ms.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                assert api.get("/projects/laiwu-cottages/progress").status == 200
                progress_ms.append((time.perf_counter() - t) * 1000)

            def pct(values: list[float], q: float) -> float:
                ordered = sorted(values)
                return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

            emit(
                {
                    "bench": "api.latency_moto_in_process",
                    "samples": samples,
                    "cache_seconds": float(cache),
                    "pledge_p50_ms": pct(pledge_ms, 0.50),
                    "pledge_p99_ms": pct(pledge_ms, 0.99),
                    "confirm_p50_ms": pct(confirm_ms, 0.50),
                    "confirm_p99_ms": pct(confirm_ms, 0.99),
                    "progress_p50_ms": pct(progress_ms, 0.50),
                    "progress_p99_ms": pct(progress_ms, 0.99),
                }
            )
        services.reset()
