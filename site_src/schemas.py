"""JSON Schemas generated from the models, one per kind, committed for editors' autocomplete."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .models import KINDS, Record


def ecmascript_pattern(pattern: str) -> str:
    """A Python regex in the syntax both JavaScript (VS Code's yaml-language-server) and Python (jsonschema)
    compile: named groups ``(?P<n>...)``, Python-only, become plain ``(?:...)`` (validation needs no names).
    Without this VS Code cannot compile the pattern and marks every value red."""
    if "(?P=" in pattern:
        raise ValueError(f"a back-reference has no form both Python and JavaScript read: {pattern}")
    return re.sub(r"\(\?P<[A-Za-z_]\w*>", "(?:", pattern)


def _ecmascript(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: ecmascript_pattern(v) if k == "pattern" and isinstance(v, str) else _ecmascript(v)
                for k, v in node.items()}
    if isinstance(node, list):
        return [_ecmascript(v) for v in node]
    return node


def schema_for(kind: type[Record]) -> dict:
    schema = _ecmascript(kind.model_json_schema(mode="validation"))
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"{kind.KIND}.schema.json"
    schema["title"] = f"{kind.TITLE_ZH} ({kind.KIND})"
    return schema


def render_all() -> dict[str, str]:
    """File name -> JSON text, stable across runs."""
    return {f"{k.KIND}.schema.json": json.dumps(schema_for(k), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
            for k in KINDS}


def write_all(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_all().items():
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
