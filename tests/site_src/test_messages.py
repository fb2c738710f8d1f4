"""Messages editors meet: hints for the common slips, "did you mean", no machine-made YAML anchors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from site_src.yamlsrc import write_record

REPO = Path(__file__).resolve().parents[2]


def test_demo_content_has_no_yaml_anchors() -> None:
    # `&id001` / `*id001` are PyYAML's doing, not an editor's: deleting the first use breaks the second.
    marked = [p.relative_to(REPO).as_posix() for p in sorted((REPO / "content").rglob("*.yml"))
              if "&id0" in p.read_text(encoding="utf-8") or "*id0" in p.read_text(encoding="utf-8")]
    assert marked == []


def test_written_records_have_no_yaml_anchors(tmp_path: Path) -> None:
    day = dt.date(2021, 4, 20)
    path = tmp_path / "x.yml"
    write_record(path, "need", {"claim_opens": day, "stages": {"published": day}})
    text = path.read_text(encoding="utf-8")
    assert "&" not in text and "*" not in text
    assert text.count("2021-04-20") == 2
