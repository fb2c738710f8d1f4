"""JSON Schemas: generated from the models, committed, pointed to by every YAML file, and not stale."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from site_src.loader import record_files
from site_src.models import KINDS
from site_src.pipeline import CONTENT, SCHEMA_DIR, schema_ref
from site_src.schemas import render_all
from site_src.yamlsrc import load_text

VALID = Path(__file__).parent / "examples" / "valid" / "content"


def test_committed_schemas_are_not_stale() -> None:
    for name, text in render_all().items():
        committed = SCHEMA_DIR / name
        assert committed.exists(), f"{name} missing: run `make schemas`"
        assert committed.read_text(encoding="utf-8") == text, f"{name} is stale: run `make schemas` and commit"


def test_there_is_one_schema_per_kind() -> None:
    assert {p.name for p in SCHEMA_DIR.glob("*.schema.json")} == {f"{k.KIND}.schema.json" for k in KINDS}


@pytest.mark.parametrize("root", [CONTENT, VALID], ids=["demo", "valid-examples"])
def test_every_record_validates_against_its_schema(root: Path) -> None:
    validators = {
        k.KIND: jsonschema.Draft202012Validator(
            json.loads((SCHEMA_DIR / f"{k.KIND}.schema.json").read_text(encoding="utf-8")))
        for k in KINDS
    }
    for kind, path in record_files(root):
        text = path.read_text(encoding="utf-8")
        assert text.split("\n", 1)[0] == schema_ref(kind.KIND), path
        src, errors = load_text(str(path), text)
        assert not errors
        # YAML dates become strings as an editor's tool (yaml-language-server) sees them.
        data = json.loads(json.dumps(src.data, default=str))
        problems = [e.message for e in validators[kind.KIND].iter_errors(data)]
        assert not problems, (path, problems)
