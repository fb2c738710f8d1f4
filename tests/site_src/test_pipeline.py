"""One content pipeline: one walk, one loader, the privacy lint in the same pass, workers and cache agreeing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from site_src import loader, pipeline, privacy
from site_src.loader import fast_yaml
from site_src.pipeline import ParseCache, check_content
from site_src.yamlsrc import load_text

from .test_content_examples import INVALID, VALID, expectation

REPO = Path(__file__).resolve().parents[2]


def _verdict(loaded: loader.Loaded) -> tuple[list, list, dict]:
    report = loaded.report
    return (report.errors, [(w.file, w.line, w.rule, w.reason) for w in report.waivers],
            {kind: list(records) for kind, records in loaded.records.items()})


@pytest.fixture()
def broken(tmp_path: Path) -> Path:
    """The valid examples with every invalid example that goes into its own file (one folder, many errors)."""
    root = tmp_path / "content"
    shutil.copytree(VALID, root)
    for case in INVALID:
        _, into, _ = expectation(case)
        target = root / into
        if target.exists():  # a case that replaces a valid record: give it a file of its own
            target = target.with_name(f"{case.stem}.yml")
        shutil.copy(case, target)
    return root


@pytest.mark.parametrize("text", [
    "a: 1\nb: [x, y]\nc: {d: 2021-09-07, e: true, f: ~}\n",
    "base: &b {x: 1}\nmore:\n  <<: *b\n  y: 2\n",
    "s: '0123'\nn: 0x1F\nf: 1.5\nd: 2021-09-07T09:00:00+08:00\n",
])
def test_fast_yaml_gives_the_same_values_as_the_position_keeping_parser(text: str) -> None:
    src, errors = load_text("x.yml", text)
    assert not errors
    assert fast_yaml(text) == src.data


@pytest.mark.parametrize("text", ["a: 1\na: 2\n", "1: x\n", "? [a]\n: 1\n", "b:\n  c: 1\n  c: 2\n"])
def test_fast_yaml_hands_duplicate_and_non_text_keys_to_the_position_keeping_parser(text: str) -> None:
    with pytest.raises(loader._Unusual):
        fast_yaml(text)


def test_positions_worked_out_later_are_the_parsers_own() -> None:
    loaded = check_content(VALID)
    assert loaded.report.ok
    for (kind, rid), path in list(loaded.on_disk.items()):
        record = loaded.records[kind][rid]
        expected, _ = load_text(loaded.sources[(kind, rid)].file, Path(path).read_text(encoding="utf-8"))
        assert loaded.source(record).positions == expected.positions
    assert not loaded.on_disk  # each parsed once, then kept


def test_worker_processes_give_the_same_report_as_one_process(broken: Path, monkeypatch) -> None:
    one = _verdict(check_content(broken))
    assert len(one[0]) > len(INVALID) // 2  # the folder really is broken in many ways
    monkeypatch.setattr(pipeline, "PARALLEL_FROM", 1)
    monkeypatch.setattr(pipeline, "_workers", lambda: 2)
    assert _verdict(check_content(broken)) == one


def test_the_privacy_lint_runs_in_the_same_walk_as_scan_tree(broken: Path) -> None:
    report = check_content(broken).report
    found, waivers = privacy.scan_tree(broken)
    assert found and [e for e in report.errors if e.rule.startswith("privacy.")] == found
    assert report.waivers == waivers


def test_a_cached_run_gives_the_same_report_and_rereads_only_an_edit(broken: Path) -> None:
    cache = ParseCache()
    first = _verdict(check_content(broken, cache=cache))
    read = cache.parsed
    assert _verdict(check_content(broken, cache=cache)) == first
    assert cache.parsed == read  # nothing read again
    cottage = broken / "cottages" / "HC-001.yml"
    cottage.write_text(cottage.read_text(encoding="utf-8").replace("alias:", "alias: 小星\n# was:", 1) + "\n",
                       encoding="utf-8")
    check_content(broken, cache=cache)
    assert cache.parsed == read + 1


def test_the_content_folder_comes_from_qingyi_content(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("QINGYI_CONTENT", str(tmp_path))
    assert pipeline.content_root() == tmp_path
    monkeypatch.delenv("QINGYI_CONTENT")
    assert pipeline.content_root() == REPO / "content"


def test_worker_processes_write_the_same_cottage_pages_as_the_build(tmp_path: Path, monkeypatch) -> None:
    from site_src.publish.cottages import CottageWriter, Shell, merge_staging, renderer
    from site_src.publish.published import Published

    shell = Shell("青益", ["assets/stylesheets/main.css"], ["assets/qingyi/qingyi.js"])
    staging = tmp_path / "staging"
    staging.mkdir()
    monkeypatch.setattr(pipeline, "PARALLEL_FROM", 1)  # force the worker path on the small demo
    monkeypatch.setattr(pipeline, "_workers", lambda: 2)
    cache = ParseCache()
    loaded = check_content(REPO / "content", cache=cache, render=renderer(shell, staging))
    assert loaded.report.ok and len(cache.prerendered) == len(loaded.records["cottage"]) == 150
    site_dir = tmp_path / "site"
    (site_dir / "cottages").mkdir(parents=True)
    (site_dir / "cottages" / "index.html").write_text("overview", encoding="utf-8")
    merge_staging(staging, site_dir)
    assert not staging.exists()
    assert (site_dir / "cottages" / "index.html").read_text(encoding="utf-8") == "overview"
    writer = CottageWriter(Published(loaded), tmp_path / "again", shell, None, loaded.digests)
    assert writer.write_cottages(cache.prerendered) == 0  # every key matches: nothing rendered twice
    for cid in ("HC-001", "HC-150"):
        expected = writer.render_cottage(loaded.records["cottage"][cid])
        assert (site_dir / "cottages" / f"{cid}.html").read_text(encoding="utf-8") == expected
