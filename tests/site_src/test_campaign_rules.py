"""Each matching rule is declared once (chalicelib.rules); the editors' model, the catalogue and the
problem positions are derived from it, with yuan turned into fen where the YAML is read."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from chalicelib import rules
from site_src.models import Campaign
from site_src.pipeline import check_content

VALID = Path(__file__).parent / "examples" / "valid" / "content"
GIVING_DAY = VALID / "campaigns" / "giving-day.yml"
RULE_CLASSES = (rules.Campaign, rules.CampaignRules, rules.Tier, rules.TeamBonus, rules.Window)


def editor_yaml() -> dict:
    return yaml.safe_load(GIVING_DAY.read_text(encoding="utf-8"))


def test_every_declared_rule_field_is_an_editor_field_named_without_its_unit() -> None:
    for dc in RULE_CLASSES:
        model = rules_model(dc)
        declared = {rules.content_name(f) for f in rules.content_fields(dc)}
        assert declared <= set(model.model_fields), dc.__name__
        for f in rules.content_fields(dc):
            assert f.metadata["zh"] and f.metadata["en"], f.name
            if f.metadata["unit"] in (rules.FEN, rules.BASIS_POINTS):
                assert f.name.endswith("_" + f.metadata["unit"]) and not rules.content_name(f).endswith("_fen")


def rules_model(dc: type) -> type:
    from site_src.models.campaign import _MODELS

    return Campaign if dc is rules.Campaign else _MODELS[dc]


def test_every_catalogue_rule_field_is_declared_so_none_is_translated_by_hand() -> None:
    # campaign_id, name and programme_id come from the record itself, not from a rule field
    for dc in RULE_CLASSES:
        undeclared = {f.name for f in dataclasses.fields(dc)} - {f.name for f in rules.content_fields(dc)}
        assert undeclared <= {"campaign_id", "name", "programme_id"}, dc.__name__


@pytest.mark.parametrize(
    ("written", "fen"),
    [(260600, 26_060_000), ("26.06万", 26_060_000), ("¥260,600.00", 26_060_000), (99.9, 9_990), ("1.5万元", 1_500_000)],
)
def test_yuan_become_fen_once_where_the_yaml_is_read(written: object, fen: int) -> None:
    data = editor_yaml()
    data["rules"]["per_donor_daily_cap"] = written
    data["pool"] = written
    campaign = Campaign.model_validate(data)
    assert campaign.rules.per_donor_daily_cap == fen and campaign.pool == fen
    matching = campaign.matching()
    assert matching.rules.per_donor_daily_cap_fen == fen and matching.pool_fen == fen


def test_rates_become_basis_points_and_finer_rates_are_refused() -> None:
    data = editor_yaml()
    data["rules"]["tiers"][0]["rate"] = 0.125
    assert Campaign.model_validate(data).matching().rules.tiers[0].rate_bp == 1_250
    data["rules"]["tiers"][0]["rate"] = 0.12345
    with pytest.raises(ValidationError) as info:
        Campaign.model_validate(data)
    assert info.value.errors()[0]["loc"] == ("rules", "tiers", 0, "rate")


def test_the_catalogue_form_is_what_the_api_reads() -> None:
    matching = Campaign.model_validate(editor_yaml()).matching()
    assert rules.Campaign.from_catalogue(matching.to_catalogue()) == matching
    assert matching.rules.ratio_bp == rules.BP and matching.rules.team_bonus is not None


def test_a_problem_the_rules_find_is_reported_at_the_editors_field(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(VALID, content)
    text = GIVING_DAY.read_text(encoding="utf-8").replace("per_project_cap: 2000", "per_project_cap: 0")
    assert "per_project_cap: 0" in text
    (content / "campaigns" / "giving-day.yml").write_text(text, encoding="utf-8")
    errors = check_content(content).report.errors
    found = [e for e in errors if e.rule == "rules.range"]
    assert found and found[0].field == "rules.per_project_cap", [e.text() for e in errors]
    line = next(i for i, row in enumerate(text.split("\n"), 1) if "per_project_cap: 0" in row)
    assert found[0].line == line


def test_content_path_names_fields_as_editors_write_them() -> None:
    assert rules.content_path(("rules", "tiers", 1, "max_fen")) == ("rules", "tiers", 1, "max")
    assert rules.content_path(("pool_fen",)) == ("pool",)
    assert rules.content_path(("project_ids",)) == ("projects",)
    assert rules.content_path(("rules", "team_bonus", "extra_project_cap_fen")) == (
        "rules", "team_bonus", "extra_project_cap")
