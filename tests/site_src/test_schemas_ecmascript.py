"""The committed JSON Schemas as editors' tools read them: every pattern compiles in JavaScript (Node)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from site_src.schemas import ecmascript_pattern, render_all

SCHEMAS = Path(__file__).resolve().parents[2] / "site_src" / "schemas"
NODE = shutil.which("node")

# yaml-language-server compiles a schema pattern with the "u" flag; a pattern that fails to compile never matches.
CHECK = r"""
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = cases.map(([p, samples]) => {
  try { const rx = new RegExp(p, 'u'); return samples.map(s => rx.test(s)); } catch (e) { return String(e); }
});
process.stdout.write(JSON.stringify(out));
"""


def _patterns(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["pattern"]} if isinstance(node.get("pattern"), str) else set()
        return found.union(*(_patterns(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_patterns(v) for v in node))
    return set()


def _node(cases: list[tuple[str, list[str]]]) -> list[Any]:
    assert NODE, "node is needed (make system-packages installs it)"
    run = subprocess.run([NODE, "-e", CHECK], input=json.dumps(cases), capture_output=True, text=True, timeout=30,
                         check=True)
    return json.loads(run.stdout)


def test_schemas_ecmascript_every_pattern_compiles_in_node() -> None:
    patterns = sorted(set().union(*(_patterns(json.loads(p.read_text(encoding="utf-8")))
                                    for p in SCHEMAS.glob("*.schema.json"))))
    assert patterns
    results = _node([(p, []) for p in patterns])
    assert [(p, r) for p, r in zip(patterns, results, strict=True) if not isinstance(r, list)] == []


@pytest.mark.parametrize("value", ["0.96万", "¥9,600.00", "9600", "1,779,300元", "-12.5"])
def test_schemas_ecmascript_documented_money_formats_match(value: str) -> None:
    money = [p for p in _patterns(json.loads((SCHEMAS / "cottage.schema.json").read_text(encoding="utf-8")))
             if "万" in p]
    assert money and _node([(p, [value]) for p in money]) == [[True]] * len(money)


def test_schemas_ecmascript_committed_schemas_are_current() -> None:
    # `make schemas` output is what is committed: the conversion is not lost on the next regeneration.
    for name, text in render_all().items():
        assert (SCHEMAS / name).read_text(encoding="utf-8") == text, name


def test_schemas_ecmascript_named_groups_converted() -> None:
    assert ecmascript_pattern(r"^(?P<a>x)(?P<b>y)?$") == r"^(?:x)(?:y)?$"
    assert _node([(ecmascript_pattern(r"^(?P<a>x)(?P<b>y)?$"), ["xy", "x", "yx"])]) == [[True, True, False]]
    with pytest.raises(ValueError):
        ecmascript_pattern(r"(?P<a>x)(?P=a)")
