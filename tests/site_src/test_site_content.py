"""The build's fast content path gives the canonical verdict: same records when clean, a failure when not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from site_src.pipeline import check_content
from site_src.publish import content as fast
from site_src.publish.state import ContentFailed, State
from site_src.yamlsrc import load_text

from .test_content_examples import INVALID, VALID, expectation

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("root", [REPO / "content", VALID], ids=["demo", "valid-examples"])
def test_clean_content_gives_the_same_records_as_the_canonical_pipeline(root: Path) -> None:
    canonical = check_content(root)
    assert canonical.report.ok
    loaded, digests = fast.fast_check(root)
    assert loaded is not None
    for kind, records in canonical.records.items():
        assert loaded.records[kind] == records, kind
    assert loaded.files == canonical.files
    assert set(digests) == {(k, i) for k, recs in canonical.records.items() for i in recs}


@pytest.mark.parametrize("case", INVALID, ids=[p.stem for p in INVALID])
def test_every_invalid_example_fails_the_fast_path_too(case: Path, tmp_path: Path) -> None:
    rule, into, _ = expectation(case)
    root = tmp_path / "content"
    shutil.copytree(VALID, root)
    shutil.copy(case, root / into)
    loaded, _ = fast.fast_check(root)
    assert loaded is None, f"{case.name} ({rule}) passed the fast path"
    with pytest.raises(ContentFailed) as failed:
        fast.check(root, State())
    assert f"content/{into}" in failed.value.text and rule in failed.value.text


@pytest.mark.parametrize("text", [
    "a: 1\nb: [x, y]\nc: {d: 2021-09-07, e: true, f: ~}\n",
    "base: &b {x: 1}\nmore:\n  <<: *b\n  y: 2\n",
    "s: '0123'\nn: 0x1F\nf: 1.5\nd: 2021-09-07T09:00:00+08:00\n",
])
def test_fast_yaml_gives_the_same_values_as_the_canonical_loader(text: str) -> None:
    src, errors = load_text("x.yml", text)
    assert not errors
    assert fast.fast_yaml(text) == src.data


@pytest.mark.parametrize("text", ["a: 1\na: 2\n", "1: x\n", "? [a]\n: 1\n", "b:\n  c: 1\n  c: 2\n"])
def test_fast_yaml_hands_duplicate_and_non_text_keys_to_the_canonical_loader(text: str) -> None:
    with pytest.raises(fast._Unusual):
        fast.fast_yaml(text)


def test_cache_reuses_unchanged_files_and_reparses_an_edit(tmp_path: Path) -> None:
    root = tmp_path / "content"
    shutil.copytree(VALID, root)
    state = State()
    fast.check(root, state)
    first = state.content.parsed
    fast.check(root, state)
    assert state.content.parsed == first  # nothing re-parsed
    cottage = next((root / "cottages").glob("*.yml"))
    cottage.write_text(cottage.read_text(encoding="utf-8").replace("alias:", "alias: 小星\n# was:", 1) + "\n",
                       encoding="utf-8")
    fast.check(root, state)
    assert state.content.parsed == first + 1


def test_worker_processes_write_the_same_cottage_pages_as_the_build(tmp_path: Path, monkeypatch) -> None:
    from site_src.publish.cottages import CottageWriter, Shell, merge_staging, renderer
    from site_src.publish.site import Site

    shell = Shell("青益", ["assets/stylesheets/main.css"], ["assets/qingyi/qingyi.js"])
    staging = tmp_path / "staging"
    staging.mkdir()
    monkeypatch.setattr(fast, "PARALLEL_FROM", 1)  # force the worker path on the small demo
    cache = fast.ParseCache()
    loaded, digests = fast.fast_check(REPO / "content", cache, renderer(shell, staging))
    assert loaded is not None and len(cache.prerendered) == len(loaded.records["cottage"]) == 150
    site_dir = tmp_path / "site"
    (site_dir / "cottages").mkdir(parents=True)
    (site_dir / "cottages" / "index.html").write_text("overview", encoding="utf-8")
    merge_staging(staging, site_dir)
    assert not staging.exists()
    assert (site_dir / "cottages" / "index.html").read_text(encoding="utf-8") == "overview"
    writer = CottageWriter(Site(loaded), tmp_path / "again", shell, None, digests)
    assert writer.write_cottages(cache.prerendered) == 0  # every key matches: nothing rendered twice
    for cid in ("HC-001", "HC-150"):
        expected = writer.render_cottage(loaded.records["cottage"][cid])
        assert (site_dir / "cottages" / f"{cid}.html").read_text(encoding="utf-8") == expected
