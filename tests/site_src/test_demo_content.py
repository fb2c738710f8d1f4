"""The demo content reproduces every figure of the bulletin (the 2021 bulletin of the three pilot programmes, quoted in content/programmes/*.yml) exactly."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.matching import is_open
from chalicelib.rules import Campaign as RulesCampaign
from site_src.catalogue import build_catalogue
from site_src.loader import Loaded
from site_src.models import Campaign, Cottage, Need, Organisation, Programme, Project, Team, VentureProject
from site_src.models.venture_project import VENTURE_STAGES
from site_src.pipeline import CONTENT, check_content


@pytest.fixture(scope="module")
def demo() -> Loaded:
    loaded = check_content(CONTENT)
    assert loaded.report.errors == [], loaded.report.render()
    return loaded


def figures(demo: Loaded, programme: str) -> dict[str, tuple[int, str]]:
    return {f.key: (f.value, f.approx) for f in demo.of(Programme)[programme].figures}


def test_laiwu_money_three_channels_and_total(demo: Loaded) -> None:
    project = demo.of(Project)["laiwu-hope-cottages"]
    by_channel = {e.channel: e.amount for e in project.funding}
    assert by_channel == {"enterprise": 26_060_000, "foundation": 52_020_000, "online": 99_850_000}
    assert project.raised_fen == 177_930_000 == 26_060_000 + 52_020_000 + 99_850_000
    assert figures(demo, "laiwu")["total_raised"] == (1_779_300, "exact")
    foundation = next(e for e in project.funding if e.channel == "foundation")
    assert demo.of(Organisation)[foundation.via].name == "山东省青少年发展基金会"


def test_laiwu_cottages_survey_and_named_fund(demo: Loaded) -> None:
    built = [c for c in demo.of(Cottage).values() if c.programme == "laiwu" and c.built]
    assert len(built) == 138
    assert figures(demo, "laiwu")["children_surveyed"] == (300, "at_least")
    fund = demo.of(Organisation)["laiwu-dream-fund"]
    assert fund.name == "共青团莱芜区委圆梦基金" and fund.kind == "fund"
    assert demo.of(Organisation)[fund.parent].kind == "charity_federation"
    assert all(c.example for c in demo.of(Cottage).values())


def test_linhai_claiming_figures(demo: Loaded) -> None:
    needs = [n for n in demo.of(Need).values() if n.programme == "linhai"]
    assert sum(1 for n in needs if n.stage in ("claimed", "undertaken", "summarised")) == 65
    assert sum(1 for n in needs if n.contest_funded) == 31
    f = figures(demo, "linhai")
    assert f["volunteer_organisations"] == (4, "exact")
    assert f["volunteer_teams"] == (687, "exact")
    assert f["social_orgs_registered"] == (6, "exact")
    assert f["volunteer_squads"] == (650, "at_least")
    assert f["service_events"] == (2300, "at_least")
    assert all(n.example for n in needs)


def test_shunde_venture_figures(demo: Loaded) -> None:
    ventures = [v for v in demo.of(VentureProject).values() if v.programme == "shunde"]
    selected = [v for v in ventures if v.stage and VENTURE_STAGES.index(v.stage) >= VENTURE_STAGES.index("selection")]
    assert len(selected) == 23
    assert {v.theme for v in selected} == {"thought_guidance", "youth_venues", "rural_revitalisation",
                                           "cultural_creative", "leader_training", "volunteer_service"}
    court = demo.of(VentureProject)["shunde-mock-court"]
    assert court.outcomes and (court.outcomes.sessions, court.outcomes.attendance) == (10, 4000)
    assert figures(demo, "shunde")["pooled_support"] == (1_000_000, "more_than")
    titles = {v.title for v in ventures}
    assert {"模拟法庭进基层", "梨园——千娇百媚", "青咖驿站"} <= titles


def test_generated_records_are_flagged_as_examples(demo: Loaded) -> None:
    for kind in (Cottage, Team, Need):
        assert all(r.example for r in demo.of(kind).values()), kind.KIND


def test_a_demo_campaign_is_open_whenever_the_demo_runs(demo: Loaded) -> None:
    catalogue = build_catalogue(demo)
    demos = [c for c in demo.of(Campaign).values() if c.demo]
    assert demos
    for c in demos:
        rules = RulesCampaign.from_catalogue(catalogue["campaigns"][c.id])
        assert rules == c.matching()
        assert is_open(rules, dt.datetime.now(dt.UTC))
        assert all(catalogue["projects"][p]["accepting_pledges"] for p in c.projects)
