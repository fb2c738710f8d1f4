"""Claiming needs: one team holds a need at a time, the claim window, operators'
decisions, the public needs board and the export editors commit to content/."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from tests.api import volunteer_support as support
from tests.api.conftest import ADMIN_TOKEN, OPERATOR_TOKEN, base_env
from tests.api.volunteer_support import (
    RACERS,
    TEAM_A,
    TEAM_A_TOKEN,
    TEAM_B,
    TEAM_B_TOKEN,
    UNREGISTERED_TOKEN,
    VOLUNTEER_TEAMS,
    bearer,
    racer_token,
    volunteer_env,
)

moto_account, vapi = support.moto_account, support.vapi


def claim(api: Any, need_id: str, token: str = TEAM_A_TOKEN, body: Any = None) -> Any:
    return api.post(f"/needs/{need_id}/claims", headers=bearer(token), body=body if body is not None else {})


def board(api: Any) -> dict[str, dict[str, Any]]:
    reply = api.get("/needs/status")
    assert reply.status == 200
    return {row["need_id"]: row for row in reply.json["needs"]}


# ---- claiming ------------------------------------------------------------------------------


def test_a_team_claims_a_published_need_and_the_board_shows_its_public_name(vapi: Any) -> None:
    before = board(vapi)["need-open"]
    assert (before["stage"], before["claimed"], before["team_name"]) == ("published", False, None)

    reply = claim(vapi, "need-open", body={"contact": "队长 13800000000", "note": "周末可以去"})
    assert reply.status == 201, reply.text
    assert reply.json["team_id"] == TEAM_A and reply.json["status"] == "pending"

    row = board(vapi)["need-open"]
    assert row["stage"] == "claimed" and row["claimed"] is True and row["claim_status"] == "pending"
    assert row["claimed_by"] == TEAM_A and row["team_name"] == VOLUNTEER_TEAMS[TEAM_A]["name"]
    one = vapi.get("/needs/need-open/claim").json
    assert {k: one[k] for k in row} == row
    assert "13800000000" not in vapi.get("/needs/status").text + vapi.get("/needs/need-open/claim").text


def test_claiming_again_by_the_same_team_is_idempotent(vapi: Any) -> None:
    first = claim(vapi, "need-open")
    again = claim(vapi, "need-open")
    assert (first.status, again.status) == (201, 200)
    assert again.json["claim_id"] == first.json["claim_id"]
    history = vapi.get("/admin/needs/need-open/claims", headers=bearer(OPERATOR_TOKEN)).json["claims"]
    assert len(history) == 1


def test_another_team_cannot_take_a_held_need(vapi: Any) -> None:
    assert claim(vapi, "need-open").status == 201
    reply = claim(vapi, "need-open", TEAM_B_TOKEN)
    assert (reply.status, reply.json["code"]) == (409, "need_already_claimed")
    assert board(vapi)["need-open"]["claimed_by"] == TEAM_A


@pytest.mark.parametrize(
    ("need_id", "status", "code"),
    [
        ("need-early", 409, "claim_window_closed"),
        ("need-late", 409, "claim_window_closed"),
        ("need-draft", 409, "need_not_claimable"),
        ("need-done", 409, "need_not_claimable"),
        ("need-nope", 404, "unknown_need"),
    ],
)
def test_refused_claims_write_nothing(vapi: Any, need_id: str, status: int, code: str) -> None:
    reply = claim(vapi, need_id)
    assert (reply.status, reply.json["code"]) == (status, code)
    if status != 404:
        history = vapi.get(f"/admin/needs/{need_id}/claims", headers=bearer(OPERATOR_TOKEN)).json
        assert history["claims"] == []


def test_the_claim_window_includes_both_end_dates_and_a_missing_window_is_open(vapi: Any) -> None:
    assert claim(vapi, "need-edge").status == 201
    assert claim(vapi, "need-unbounded").status == 201


def test_the_window_follows_the_beijing_date(vapi: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # 2021-09-07T16:30Z is already 09-08 00:30 in Beijing: need-edge closed, need-early open.
    monkeypatch.setenv("QINGYI_NOW", "2021-09-07T16:30:00+00:00")
    assert claim(vapi, "need-edge").json["code"] == "claim_window_closed"
    assert claim(vapi, "need-early").status == 201


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"contact": 12}, "invalid_field"),
        ({"note": "长" * 201}, "invalid_field"),
        ({"team_id": TEAM_B}, "unknown_field"),
    ],
)
def test_bad_claim_bodies_are_refused(vapi: Any, body: dict[str, Any], code: str) -> None:
    reply = claim(vapi, "need-open", body=body)
    assert (reply.status, reply.json["code"]) == (400, code)
    assert board(vapi)["need-open"]["claimed"] is False


def test_only_a_registered_team_token_may_claim(vapi: Any) -> None:
    assert claim(vapi, "need-open", UNREGISTERED_TOKEN).json["code"] == "unregistered_team"
    assert claim(vapi, "need-open", OPERATOR_TOKEN).status == 403
    assert claim(vapi, "need-open", ADMIN_TOKEN).status == 403
    assert board(vapi)["need-open"]["claimed"] is False


def test_markup_in_a_claim_note_is_stripped(vapi: Any) -> None:
    claim(vapi, "need-open", body={"note": "<b>周六</b><script>x()</script>上午"})
    history = vapi.get("/admin/needs/need-open/claims", headers=bearer(OPERATOR_TOKEN)).json["claims"]
    assert history[0]["note"] == "周六x()上午"


# ---- operators decide ----------------------------------------------------------------------------


def test_approve_then_the_board_shows_approved(vapi: Any) -> None:
    claim_id = claim(vapi, "need-open").json["claim_id"]
    reply = vapi.post(
        "/admin/needs/need-open/claim/approve", headers=bearer(OPERATOR_TOKEN), body={"claim_id": claim_id}
    )
    assert reply.status == 200 and reply.json["status"] == "approved"
    again = vapi.post("/admin/needs/need-open/claim/approve", headers=bearer(OPERATOR_TOKEN))
    assert again.status == 200 and again.json["decided_at"] == reply.json["decided_at"]
    assert board(vapi)["need-open"]["claim_status"] == "approved"


def test_reject_frees_the_need_for_another_team(vapi: Any) -> None:
    claim(vapi, "need-open")
    reply = vapi.post(
        "/admin/needs/need-open/claim/reject", headers=bearer(OPERATOR_TOKEN), body={"reason": "人手不足"}
    )
    assert reply.status == 200 and reply.json["status"] == "rejected"
    assert board(vapi)["need-open"]["claimed"] is False
    taken = claim(vapi, "need-open", TEAM_B_TOKEN)
    assert taken.status == 201
    assert board(vapi)["need-open"]["claimed_by"] == TEAM_B
    history = vapi.get("/admin/needs/need-open/claims", headers=bearer(OPERATOR_TOKEN)).json["claims"]
    assert sorted((h["team_id"], h["status"], h["reason"]) for h in history) == [
        (TEAM_A, "rejected", "人手不足"),
        (TEAM_B, "pending", None),
    ]


def test_the_same_team_may_claim_again_after_a_rejection(vapi: Any) -> None:
    first = claim(vapi, "need-open").json["claim_id"]
    vapi.post("/admin/needs/need-open/claim/reject", headers=bearer(OPERATOR_TOKEN))
    again = claim(vapi, "need-open")  # the clock stands still in tests: same instant, new claim
    assert again.status == 201 and again.json["claim_id"] != first


def test_an_approved_claim_can_be_rejected_but_a_rejected_one_not_approved(vapi: Any) -> None:
    claim(vapi, "need-open")
    ops = bearer(OPERATOR_TOKEN)
    assert vapi.post("/admin/needs/need-open/claim/approve", headers=ops).status == 200
    assert vapi.post("/admin/needs/need-open/claim/reject", headers=ops).json["status"] == "rejected"
    reply = vapi.post("/admin/needs/need-open/claim/approve", headers=ops)
    assert (reply.status, reply.json["code"]) == (409, "claim_not_pending")


def test_a_decision_pinned_to_an_old_claim_is_refused(vapi: Any) -> None:
    ops = bearer(OPERATOR_TOKEN)
    old = claim(vapi, "need-open").json["claim_id"]
    vapi.post("/admin/needs/need-open/claim/reject", headers=ops)
    claim(vapi, "need-open", TEAM_B_TOKEN)
    reply = vapi.post("/admin/needs/need-open/claim/reject", headers=ops, body={"claim_id": old})
    assert (reply.status, reply.json["code"]) == (409, "claim_not_pending")
    assert board(vapi)["need-open"]["claimed_by"] == TEAM_B


def test_deciding_without_a_claim_is_refused(vapi: Any) -> None:
    reply = vapi.post("/admin/needs/need-open-2/claim/approve", headers=bearer(OPERATOR_TOKEN))
    assert (reply.status, reply.json["code"]) == (409, "claim_not_pending")
    assert vapi.post("/admin/needs/zzz/claim/reject", headers=bearer(OPERATOR_TOKEN)).json["code"] == "unknown_need"


# ---- the export editors commit -------------------------------------------------------------------


def test_export_lists_approved_claims_as_need_fields_without_private_values(vapi: Any) -> None:
    ops = bearer(OPERATOR_TOKEN)
    claim(vapi, "need-open", body={"contact": "私人电话 13900001111", "note": "私下备注"})
    claim(vapi, "need-open-2", TEAM_B_TOKEN)
    vapi.post("/admin/needs/need-open/claim/approve", headers=ops)
    reply = vapi.get("/admin/exports/claims.yaml", headers=ops)
    assert reply.status == 200 and reply.headers["content-type"].startswith("text/yaml")
    data = yaml.safe_load(reply.text)
    assert data["needs"] == [
        {
            "id": "need-open",
            "content_path": "content/needs/need-open.yml",
            "claimed_by": TEAM_A,
            "team_name": VOLUNTEER_TEAMS[TEAM_A]["name"],
            "stages": {"claimed": "2021-09-07"},
        }
    ]
    assert "13900001111" not in reply.text and "私下备注" not in reply.text


def test_the_exported_fields_validate_against_the_need_model(vapi: Any) -> None:
    from site_src.models import Need

    ops = bearer(OPERATOR_TOKEN)
    claim(vapi, "need-open")
    vapi.post("/admin/needs/need-open/claim/approve", headers=ops)
    entry = yaml.safe_load(vapi.get("/admin/exports/claims.yaml", headers=ops).text)["needs"][0]
    record = yaml.safe_load((Path("content/needs/need-066.yml")).read_text(encoding="utf-8"))
    record.pop("claimed_by", None)
    record["claimed_by"] = "linhai-team-001"  # an organisation that exists in content/
    record["stages"]["claimed"] = entry["stages"]["claimed"]
    assert Need.model_validate(record).stage == "claimed"


# ---- two teams racing: exactly one wins (moto server, one request at a time) ---------------------


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[Any, str, str]]:
    from infra.local_api import start_moto

    base_env(monkeypatch)
    volunteer_env(monkeypatch, tmp_path)
    moto = start_moto(0)
    try:
        table = support.fresh_table(moto.endpoint)
        monkeypatch.setenv("QINGYI_DYNAMODB_ENDPOINT", moto.endpoint)
        monkeypatch.setenv("QINGYI_TABLE", table)
        import app as app_module

        from chalicelib import services
        from tests.api.gateway import Api

        services.reset()
        yield Api(app_module.app), table, moto.endpoint
        services.reset()
    finally:
        moto.stop()


def test_teams_racing_for_needs_exactly_one_wins_each(served: tuple[Any, str, str]) -> None:
    api, table, endpoint = served
    race = [f"need-race-{n}" for n in range(6)]
    outcomes: list[tuple[str, str, int, str]] = []
    lock = threading.Lock()
    gate = threading.Barrier(len(RACERS))

    def team(name: str) -> None:
        order = race[:]
        random.Random(name).shuffle(order)
        gate.wait(timeout=30)
        for need_id in order:
            reply = claim(api, need_id, racer_token(name))
            with lock:
                outcomes.append((need_id, name, reply.status, reply.json.get("code", "")))

    threads = [threading.Thread(target=team, args=(name,)) for name in RACERS]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert len(outcomes) == len(race) * len(RACERS)

    winners = {n: [team for need_id, team, status, _ in outcomes if need_id == n and status == 201] for n in race}
    assert all(len(w) == 1 for w in winners.values()), winners
    losers = Counter(code for _, _, status, code in outcomes if status != 201)
    assert losers == {"need_already_claimed": len(race) * (len(RACERS) - 1)}, losers

    items = support.scan(table, boto3.client("dynamodb", endpoint_url=endpoint))
    for need_id, (winner,) in winners.items():
        hold = [i for i in items if i["pk"] == f"NEED#{need_id}" and i["sk"] == "CLAIM"]
        records = [i for i in items if i["pk"] == f"NEED#{need_id}" and i["sk"].startswith("CLAIM#")]
        assert [h["team_id"] for h in hold] == [winner]
        assert [r["team_id"] for r in records] == [winner], "a losing claim left a record behind"

    # Reject one and race again: again exactly one new holder.
    ops = bearer(OPERATOR_TOKEN)
    assert api.post("/admin/needs/need-race-0/claim/reject", headers=ops).status == 200
    again: list[int] = []
    threads = [
        threading.Thread(target=lambda n=name: again.append(claim(api, "need-race-0", racer_token(n)).status))
        for name in RACERS
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(again) == [201] + [409] * (len(RACERS) - 1), again


# ---- the real content: what the volunteer routes rely on holds -------------------------------------


@pytest.fixture(scope="module")
def content_catalogue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("content") / "catalogue.json"
    done = subprocess.run(
        [sys.executable, "-m", "site_src", "catalogue", "--out", str(out)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return out


def compiled_cottages(catalogue_path: Path) -> Any:
    """The cottage index `make catalogue` writes beside the catalogue JSON."""
    from chalicelib.catalogue import CottageIndex, cottage_index_path

    return CottageIndex.from_file(cottage_index_path(catalogue_path))


def test_the_content_catalogue_pairs_cottages_with_registered_teams_and_dates_windows(content_catalogue: Path) -> None:
    import json
    from datetime import date

    data = json.loads(content_catalogue.read_text(encoding="utf-8"))
    teams = set(data["volunteer_teams"])
    paired = list(compiled_cottages(content_catalogue).paired())
    assert paired and all(c.team_id in teams for c in paired), "a cottage's team is not a registered volunteer team"
    published = [n for n in data["needs"].values() if n["stage"] == "published"]
    assert published, "no need is open to claim in content/"
    for n in published:
        opens = date.fromisoformat(n["claim_opens"]) if n["claim_opens"] else None
        closes = date.fromisoformat(n["claim_closes"]) if n["claim_closes"] else None
        assert opens is None or closes is None or opens <= closes, n


def test_a_claim_and_a_visit_on_the_content_catalogue(
    content_catalogue: Path, vapi: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from tests.api.conftest import digest

    data = json.loads(content_catalogue.read_text(encoding="utf-8"))
    need = sorted((n for n in data["needs"].values() if n["stage"] == "published"), key=lambda n: n["need_id"])[0]
    index = compiled_cottages(content_catalogue)
    cottage = next(index.paired())
    claimer = next(t for t in sorted(data["volunteer_teams"]) if t != cottage.team_id)
    monkeypatch.setenv("QINGYI_CATALOGUE", str(content_catalogue))
    monkeypatch.setenv("QINGYI_NOW", f"{need['claim_opens']}T10:00:00+08:00")
    monkeypatch.setenv(
        "QINGYI_OPERATOR_TOKENS",
        json.dumps(
            {digest("claimer-token-x"): f"team:{claimer}", digest("visitor-token-x"): f"team:{cottage.team_id}"}
        ),
    )
    reply = vapi.post(f"/needs/{need['need_id']}/claims", headers=bearer("claimer-token-x"), body={})
    assert reply.status == 201, reply.text
    row = vapi.get(f"/needs/{need['need_id']}/claim").json
    assert row["stage"] == "claimed" and row["team_name"] == data["volunteer_teams"][claimer]["name"]
    visit = {"date": need["claim_opens"], "duration_minutes": 45, "what_was_done": "检查小屋"}
    headers = {**bearer("visitor-token-x"), "Idempotency-Key": "content-visit-1"}
    assert vapi.post(f"/cottages/{cottage.cottage_id}/visits", headers=headers, body=visit).status == 201
    summary = vapi.get(f"/cottages/{cottage.cottage_id}/visit-summary").json
    assert (summary["visit_count"], summary["last_visit_month"]) == (1, need["claim_opens"][:7])
    stats = vapi.get(f"/programmes/{cottage.programme_id}/visit-stats").json
    assert stats["cottages"] == sum(1 for c in index.paired() if c.programme_id == cottage.programme_id)
