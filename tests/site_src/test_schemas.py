"""JSON Schemas: generated from the models, committed, pointed to by every YAML file, and not stale."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from site_src.loader import record_files
from site_src.models import KINDS
from site_src.pipeline import CONTENT, SCHEMA_DIR, schema_ref
from site_src.schemas import IDS, render_all, render_ids
from site_src.yamlsrc import load_text

VALID = Path(__file__).parent / "examples" / "valid" / "content"


def test_committed_schemas_are_not_stale() -> None:
    for name, text in render_all().items():
        committed = SCHEMA_DIR / name
        assert committed.exists(), f"{name} missing: run `make schemas`"
        assert committed.read_text(encoding="utf-8") == text, f"{name} is stale: run `make schemas` and commit"


def _validator(kind: str) -> jsonschema.Draft202012Validator:
    """The committed schema of ``kind`` as a validator that follows its $refs into ids.json, as VS Code does."""
    from referencing import Registry, Resource

    ids = json.loads((SCHEMA_DIR / IDS).read_text(encoding="utf-8"))
    registry = Registry().with_resource(IDS, Resource.from_contents(ids))
    schema = json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, registry=registry)


def test_ids_offered_in_completion_are_current() -> None:
    # `make schemas` (and `make check-content`) write it; the committed one lists the committed content's ids.
    assert (SCHEMA_DIR / IDS).read_text(encoding="utf-8") == render_ids(CONTENT), "run `make schemas` and commit"


def test_reference_fields_offer_existing_ids() -> None:
    # The finding: reference fields never offered existing ids. Each one now points at its list in ids.json.
    from site_src.checks import REFS

    schemas = {k.KIND: json.loads(text) for k, text in zip(KINDS, render_all().values(), strict=True)}
    pointers = {kind: {n["$ref"] for n in _nodes(s) if str(n.get("$ref", "")).startswith(IDS)}
                for kind, s in schemas.items()}
    for kind, _, target, org_kinds in REFS:
        assert f"{IDS}#/$defs/{target.KIND}{''.join('-' + k for k in org_kinds or ())}" in pointers[kind.KIND]
    lists = json.loads((SCHEMA_DIR / IDS).read_text(encoding="utf-8"))["$defs"]
    assert "laiwu-hope-cottages-2022" in lists["project"]["examples"]
    # A field that wants a contractor offers contractors only.
    contractors = lists["organisation-contractor"]["examples"]
    assert contractors and set(contractors) < set(lists["organisation"]["examples"])


def test_a_new_id_is_no_schema_error_but_a_bad_one_is() -> None:
    # Suggestions, not validation: a record added in the same change must not turn red in VS Code.
    validator = _validator("team")
    team = {"id": "t-new", "name": "新战队", "parent": "an-org-added-today", "project": "a-new-project",
            "campaign": "laiwu-demo", "captain_alias": "队长A", "target": 1000}
    assert [e.message for e in validator.iter_errors(team)] == []
    assert list(validator.iter_errors({**team, "project": "not an id!"}))


def test_there_is_one_schema_per_kind() -> None:
    assert {p.name for p in SCHEMA_DIR.glob("*.schema.json")} == {f"{k.KIND}.schema.json" for k in KINDS}


@pytest.mark.parametrize("root", [CONTENT, VALID], ids=["demo", "valid-examples"])
def test_every_record_validates_against_its_schema(root: Path) -> None:
    validators = {k.KIND: _validator(k.KIND) for k in KINDS}
    for kind, path in record_files(root):
        text = path.read_text(encoding="utf-8")
        assert text.split("\n", 1)[0] == schema_ref(kind.KIND), path
        src, errors = load_text(str(path), text)
        assert not errors
        # YAML dates become strings as an editor's tool (yaml-language-server) sees them.
        data = json.loads(json.dumps(src.data, default=str))
        problems = [e.message for e in validators[kind.KIND].iter_errors(data)]
        assert not problems, (path, problems)


# ---- completion as editors see it: every field described, every choice labelled in Chinese ----

def _schemas() -> dict[str, dict]:
    return {name: json.loads(text) for name, text in render_all().items()}


def _nodes(node: object) -> list[dict]:
    if isinstance(node, dict):
        return [node, *(n for v in node.values() for n in _nodes(v))]
    if isinstance(node, list):
        return [n for v in node for n in _nodes(v)]
    return []


def test_fields_without_description_none_in_any_kind() -> None:
    # The finding: 61 % of top-level fields had no description in completion.
    from site_src.schemas import fields_without_description

    assert {name: fields_without_description(s) for name, s in _schemas().items()
            if fields_without_description(s)} == {}


def test_fields_without_description_is_found() -> None:
    from site_src.schemas import fields_without_description

    schema = {"title": "x", "properties": {"a": {"type": "string", "description": "甲 / a"}, "b": {"type": "string"}},
              "$defs": {"Y": {"properties": {"c": {"$ref": "#/$defs/Z"}}}}}
    assert fields_without_description(schema) == ["x.b", "Y.c"]


def _chinese_then_english(text: str) -> bool:
    zh, sep, en = text.partition("/ ")
    return bool(sep and re.search(r"[\u4e00-\u9fff]", zh) and re.search(r"[A-Za-z]{2}", en))


def test_every_description_is_chinese_first_then_english() -> None:
    bad = sorted({(name, node["description"]) for name, s in _schemas().items() for node in _nodes(s)
                  if isinstance(node.get("description"), str) and not _chinese_then_english(node["description"])})
    assert bad == []
    assert not _chinese_then_english("Money in: where it came from.") and not _chinese_then_english("资金来源")


def test_every_choice_has_a_chinese_label_in_completion() -> None:
    # The finding: choice lists showed bare English codes. yaml-language-server reads these two lists.
    choices = [n for s in _schemas().values() for n in _nodes(s) if isinstance(n.get("enum"), list)]
    assert len({tuple(n["enum"]) for n in choices}) >= 14
    for node in choices:
        assert len(node["enumDescriptions"]) == len(node["enum"]) == len(node["markdownEnumDescriptions"]), node
        for value, plain, md in zip(node["enum"], node["enumDescriptions"], node["markdownEnumDescriptions"],
                                    strict=True):
            assert re.match(r"^[^/]*[\u4e00-\u9fff]", plain) and plain.endswith(f" / {value}"), (value, plain)
            assert f"`{value}`" in md


def test_choice_labels_have_one_source() -> None:
    # The pages print the same labels the schemas show (site_src.models.common.Choice).
    from site_src.models.cottage import Household
    from site_src.models.project import ProjectStatus
    from site_src.publish import cottages, pages

    assert ProjectStatus.labels() == pages.STATUS_ZH and Household.labels() == cottages.HOUSEHOLD_ZH
    project = _schemas()["project.schema.json"]["$defs"]["ProjectStatus"]
    assert project["enumDescriptions"][0] == f"{ProjectStatus.PLANNED.label_zh} / planned"
    assert ProjectStatus.from_label("募集中") == "fundraising" and ProjectStatus.from_label("closed") == "closed"
    assert ProjectStatus.from_label("不存在") is None


def test_ids_refreshed_when_a_referenced_record_is_added(tmp_path: Path) -> None:
    import shutil

    from site_src.schemas import refresh_ids, write_all

    content, out = tmp_path / "content", tmp_path / "schemas"
    shutil.copytree(VALID, content)
    assert {p.name for p in write_all(out, content=content)} == {*render_all(), IDS}
    assert not refresh_ids(out, content)  # nothing changed, nothing written
    shutil.copy(content / "batches" / "b1.yml", content / "batches" / "b2.yml")
    assert refresh_ids(out, content)
    assert json.loads((out / IDS).read_text(encoding="utf-8"))["$defs"]["batch"]["examples"] == ["b1", "b2"]


def test_check_content_refreshes_the_ids_for_the_repos_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    # `make check-content` on content/ (what the pull-request workflow runs first) rewrites a stale ids.json.
    import shutil

    import site_src.__main__ as cli

    content, out = tmp_path / "content", tmp_path / "schemas"
    shutil.copytree(VALID, content)
    out.mkdir()
    monkeypatch.setenv("QINGYI_CONTENT", str(content))
    monkeypatch.setattr(cli, "CONTENT", content)
    monkeypatch.setattr(cli, "SCHEMA_DIR", out)
    assert cli.main(["check"]) == 0
    assert (out / IDS).read_text(encoding="utf-8") == render_ids(content)
    assert "refreshed the ids offered in completion" in capsys.readouterr().out
    assert cli.main(["check"]) == 0 and "refreshed" not in capsys.readouterr().out  # unchanged: not written again
    monkeypatch.setattr(cli, "CONTENT", tmp_path / "elsewhere")  # another content folder: the repo's file is left alone
    (out / IDS).unlink()
    assert cli.main(["check"]) == 0 and not (out / IDS).exists()
