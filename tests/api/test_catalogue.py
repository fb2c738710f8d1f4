"""The typed catalogue: derived look-ups, and the cottage index read by bisection from a file or inline."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from chalicelib import errors
from chalicelib.catalogue import Catalogue, Cottage, CottageIndex, cottage_index_path, encode
from tests.api.conftest import WORKED


def random_cottages(n: int, seed: int = 7) -> list[Cottage]:
    rng = random.Random(seed)
    ids = rng.sample(range(10 * n), n)
    return [
        Cottage(f"HC-{i:05d}" if i % 3 else f"c{i}", f"prog-{i % 4}", None if i % 5 == 0 else f"team-{i % 11}")
        for i in ids
    ]


def test_a_projects_campaigns_and_teams_are_derived_from_the_campaigns_and_teams() -> None:
    data = json.loads(WORKED.read_text(encoding="utf-8"))
    assert not any("campaign_ids" in p or "team_ids" in p for p in data["projects"].values())  # not stored
    cat = Catalogue.from_dict(data)
    for pid, project in cat.projects.items():
        assert project.campaign_ids == tuple(sorted(c for c, v in cat.campaigns.items() if pid in v.project_ids))
        assert project.team_ids == tuple(sorted(t for t, v in cat.teams.items() if v.project_id == pid))
    assert cat.project("laiwu-cottages").campaign_ids == ("tencent-99",)
    assert cat.project("laiwu-cottages").team_ids == ("team-a", "team-b")


def test_the_cottage_index_finds_every_cottage_and_nothing_else(tmp_path: Path) -> None:
    cottages = random_cottages(500)
    path = tmp_path / "catalogue.cottages.tsv"
    path.write_bytes(encode(cottages))
    from_file = CottageIndex.from_file(path)
    inline = CottageIndex.from_entries(
        {c.cottage_id: {"programme_id": c.programme_id, "team_id": c.team_id} for c in cottages}
    )
    for index in (from_file, inline):
        for c in cottages:
            assert index.get(c.cottage_id) == c
        for missing in ("", "A", "HC-", "HC-99999x", "c", "zzz", "HC-00000\t"):
            assert index.get(missing) is None
        assert [c.cottage_id for c in index] == sorted(c.cottage_id for c in cottages)
        assert {c.cottage_id for c in index.paired()} == {c.cottage_id for c in cottages if c.team_id}


def test_an_empty_cottage_index_answers_none(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.cottages.tsv"
    path.write_bytes(b"")
    for index in (CottageIndex.from_file(path), CottageIndex.from_entries({})):
        assert index.get("HC-001") is None and list(index) == []


def test_an_unknown_cottage_is_a_404_and_a_missing_index_says_make_catalogue(tmp_path: Path) -> None:
    data = json.loads(WORKED.read_text(encoding="utf-8"))
    del data["cottages"]
    where = tmp_path / "catalogue.json"
    cat = Catalogue.from_dict(data, cottage_index_path(where))
    with pytest.raises(errors.CatalogueMissing):
        cat.cottage("HC-001")
    cottage_index_path(where).write_bytes(encode([Cottage("HC-001", "laiwu", "vt-1")]))
    cat = Catalogue.from_dict(data, cottage_index_path(where))
    assert cat.cottage("HC-001") == Cottage("HC-001", "laiwu", "vt-1")
    with pytest.raises(errors.UnknownCottage):
        cat.cottage("HC-002")
