"""JSON Schemas generated from the models, one per kind, committed for editors' autocomplete."""

from __future__ import annotations

import json
from pathlib import Path

from .models import KINDS, Record


def schema_for(kind: type[Record]) -> dict:
    schema = kind.model_json_schema(mode="validation")
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
