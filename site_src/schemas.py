"""JSON Schemas generated from the models, one per kind, committed for editors' autocomplete.

Reference fields (``programme``, ``project``, ``batch``, ``team_id`` ...) point with ``$ref`` into
``ids.json``, the ids that exist in content/ as ``examples``: completion offers them, but an id not in
the list is never a schema error. Validation of references stays with the content checks
(``ref.missing``, with "did you mean"), because the list is a snapshot: a record added in the same
change, or before ``make schemas`` ran, would otherwise be marked red in VS Code while the checks pass.
The kind schemas depend only on the models; ``ids.json`` alone changes with content (``make schemas``
and ``make check-content`` rewrite it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .models import KINDS, Organisation, Record
from .models.common import Choice, choices

#: The file of existing ids beside the kind schemas.
IDS = "ids.json"


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


def _labelled(node: Any, by_name: dict[str, type[Choice]]) -> Any:
    """Every choice list with its Chinese labels, where yaml-language-server shows them in completion and hover:
    ``enumDescriptions`` (plain) and ``markdownEnumDescriptions``, one per value, from the models' ``Choice``
    (pydantic titles a choice list's definition with its class name)."""
    if isinstance(node, dict):
        out = {k: _labelled(v, by_name) for k, v in node.items()}
        cls = by_name.get(node.get("title", "")) if isinstance(node.get("enum"), list) else None
        if cls is not None:
            labels = cls.labels()
            out["enumDescriptions"] = [f"{labels[v]} / {v}" for v in node["enum"]]
            out["markdownEnumDescriptions"] = [f"**{labels[v]}** `{v}`" for v in node["enum"]]
        return out
    if isinstance(node, list):
        return [_labelled(v, by_name) for v in node]
    return node


def fields_without_description(schema: dict) -> list[str]:
    """Fields (``Model.field``) of a schema and its definitions that carry no description: completion would
    show a bare name. Empty for every committed schema (tests/site_src/test_schemas.py)."""
    nodes = [(schema.get("title", ""), schema), *schema.get("$defs", {}).items()]
    return [f"{name}.{field}" for name, node in nodes for field, spec in node.get("properties", {}).items()
            if not spec.get("description")]


def _without_docstrings(node: Any) -> Any:
    """Drop the models' docstrings (notes for programmers, in English) that pydantic copies onto object
    definitions: hover would show them before the field's own Chinese description."""
    if isinstance(node, dict):
        return {k: _without_docstrings(v) for k, v in node.items()
                if not (k == "description" and "properties" in node)}
    if isinstance(node, list):
        return [_without_docstrings(v) for v in node]
    return node


@dataclass(frozen=True)
class _Reference:
    """A reference field as the content checks resolve it, and the name of its id list in ids.json."""

    kind: type[Record]
    path: str  # dotted: funding[].donor, projects[]
    target: type[Record]
    org_kinds: tuple[str, ...]  # only organisations of these kinds, or any when empty

    @property
    def list_name(self) -> str:  # organisation-contractor: the contractors only
        return "-".join((self.target.KIND, *self.org_kinds))


def _references() -> list[_Reference]:
    """From the content checks' own list, so the ids completion offers are the ones the checks accept."""
    from .checks import REFS

    return [_Reference(kind, path, target, org_kinds or ()) for kind, path, target, org_kinds in REFS]


def _branches(schema: dict, node: dict) -> list[dict]:
    """``node`` with local ``$ref`` followed and ``anyOf`` (an optional field) spread into its branches."""
    while "$ref" in node and node["$ref"].startswith("#/$defs/"):
        node = schema["$defs"][node["$ref"].split("/")[-1]]
    return [b for branch in node["anyOf"] for b in _branches(schema, branch)] if "anyOf" in node else [node]


def _reference_nodes(schema: dict, node: dict, parts: list[str]) -> list[dict]:
    """The string nodes where a dotted path (``funding[].donor``, ``projects[]``) ends."""
    found: list[dict] = []
    for branch in _branches(schema, node):
        if not parts:
            found += [branch] if branch.get("type") == "string" else []
        elif "properties" in branch:
            child = branch["properties"][parts[0].removesuffix("[]")]
            if parts[0].endswith("[]"):
                found += [n for lst in _branches(schema, child) if lst.get("type") == "array"
                          for n in _reference_nodes(schema, lst["items"], parts[1:])]
            else:
                found += _reference_nodes(schema, child, parts[1:])
    return found


def _offer_ids(schema: dict, kind: type[Record]) -> dict:
    """Point every reference field of ``kind`` at its list of existing ids (suggestions, not validation)."""
    for ref in _references():
        if ref.kind is kind:
            nodes = _reference_nodes(schema, schema, ref.path.split("."))
            if not nodes:
                raise KeyError(f"{kind.KIND}.{ref.path} is not a text field of the schema")
            for node in nodes:
                node["$ref"] = f"{IDS}#/$defs/{ref.list_name}"
    return schema


def existing_ids(content: Path) -> dict[str, list[str]]:
    """ids.json's lists: the ids in content/ that each reference field may point at. The file name is the id
    (the checks hold records to it); an organisation's kind is read from its file when a field wants one kind."""
    from .loader import record_files

    by_kind: dict[str, list[str]] = {}
    org_kind: dict[str, str] = {}
    for kind, path in record_files(content):
        by_kind.setdefault(kind.KIND, []).append(path.stem)
        if kind is Organisation:
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                continue
            if isinstance(data, dict) and isinstance(data.get("kind"), str):
                org_kind[path.stem] = data["kind"]
    return {ref.list_name: sorted(i for i in by_kind.get(ref.target.KIND, [])
                                  if not ref.org_kinds or org_kind.get(i) in ref.org_kinds)
            for ref in _references()}


def render_ids(content: Path) -> str:
    """ids.json's text for ``content``, stable across runs."""
    lists = existing_ids(content)
    doc = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": IDS,
        "title": "已有的编号 / existing ids",
        "description": "由 make schemas 根据 content/ 生成，供自动补全；不在列表中的新编号不算错误 / "
                       "written by make schemas from content/ for completion; a new id not listed is no error",
        "$defs": {name: {"examples": ids} for name, ids in sorted(lists.items())},
    }
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _untitled(node: Any) -> Any:
    """Drop pydantic's titles (the field or class name, capitalised): hover would head the Chinese description
    with "#### Township". Only the schema's own title (Chinese) stays."""
    if isinstance(node, dict):
        return {k: _untitled(v) for k, v in node.items() if not (k == "title" and isinstance(v, str))}
    if isinstance(node, list):
        return [_untitled(v) for v in node]
    return node


def schema_for(kind: type[Record]) -> dict:
    schema = _labelled(_ecmascript(_without_docstrings(kind.model_json_schema(mode="validation"))), choices())
    schema = _offer_ids(_untitled(schema), kind)
    schema["description"] = (f"{kind.TITLE_ZH}：每条记录一个文件 content/{kind.FOLDER}/<编号>.yml / "
                             f"a {kind.KIND.replace('_', ' ')} record, one file each: content/{kind.FOLDER}/<id>.yml")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"{kind.KIND}.schema.json"
    schema["title"] = f"{kind.TITLE_ZH} ({kind.KIND})"
    return schema


def render_all() -> dict[str, str]:
    """File name -> JSON text of each kind's schema (from the models alone), stable across runs."""
    return {f"{k.KIND}.schema.json": json.dumps(schema_for(k), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
            for k in KINDS}


def _write(path: Path, text: str) -> bool:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def write_all(folder: Path, content: Path | None = None) -> list[Path]:
    """The kind schemas, and ids.json from ``content`` when given."""
    folder.mkdir(parents=True, exist_ok=True)
    files = render_all()
    if content is not None:
        files[IDS] = render_ids(content)
    return [folder / name for name, text in files.items() if _write(folder / name, text)]


def refresh_ids(folder: Path, content: Path) -> bool:
    """Rewrite ids.json when content/ gained or lost a referenced record; True when it changed."""
    return _write(folder / IDS, render_ids(content))
