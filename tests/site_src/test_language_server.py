"""The JSON Schemas as editors meet them: the real yaml-language-server (npm, pinned in package.json), over stdio.

Documents are opened at paths inside content/, so each file's first line (``# yaml-language-server:
$schema=../../site_src/schemas/<kind>.schema.json``) resolves as in VS Code, and the server gets the
``yaml.*`` settings of .vscode/settings.json (``yaml.schemas`` maps every content folder to its schema,
for a file that lacks the first line), as VS Code and github.dev send them.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from site_src.importer import import_cottages
from site_src.loader import record_files
from site_src.models import KINDS
from site_src.pipeline import CONTENT

from .lsp import SERVER, LanguageServer
from .test_content_examples import VALID

REPO = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")
HC = CONTENT / "cottages" / "HC-001.yml"


def _workspace_yaml_settings() -> dict[str, Any]:
    """The ``yaml.*`` settings of .vscode/settings.json, nested as the client sends them to the server."""
    flat = json.loads((REPO / ".vscode" / "settings.json").read_text(encoding="utf-8"))
    out: dict[str, Any] = {}
    for key, value in flat.items():
        if key.startswith("yaml."):
            *parents, last = key.split(".")[1:]
            node = out
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = value
    return out


@pytest.fixture(scope="module")
def server() -> Iterator[LanguageServer]:
    assert NODE, "node is needed (make system-packages installs it)"
    assert SERVER.is_file(), "yaml-language-server is missing: run `npm ci` (package.json pins 2.0.0)"
    ls = LanguageServer(NODE, timeout=30)
    try:
        ls.request("initialize", {
            "processId": None, "rootUri": REPO.as_uri(), "workspaceFolders": [{"uri": REPO.as_uri(), "name": REPO.name}],
            "capabilities": {"workspace": {"configuration": True}, "textDocument": {
                "completion": {"completionItem": {"documentationFormat": ["markdown", "plaintext"],
                                                  "snippetSupport": True}},
                "hover": {"contentFormat": ["markdown", "plaintext"]}}},
        })
        ls.notify("initialized", {})
        ls.configuration = {"yaml": _workspace_yaml_settings()}
        ls.notify("workspace/didChangeConfiguration", {"settings": ls.configuration})
        assert ls.configured.wait(ls.timeout), "the server never asked for its settings"
        yield ls
    finally:
        ls.stop()


_opened = 0


def _open_all(ls: LanguageServer, docs: list[tuple[str, Path]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Open every (text, beside) at once, each under a new URI beside the file named (so diagnostics never mix),
    and return each one's (URI, diagnostics): the server validates them side by side (one at a time, each
    waits out the server's ~0.2 s debounce)."""
    global _opened
    uris = []
    for text, like in docs:
        _opened += 1
        uri = like.with_name(f"{like.stem}-lsp{_opened}{like.suffix}").as_uri()
        ls.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1,
                                                            "text": text}})
        uris.append(uri)
    return [(uri, ls.wait_diagnostics(uri)) for uri in uris]


def _open(ls: LanguageServer, text: str, like: Path = HC) -> tuple[str, list[dict[str, Any]]]:
    (opened,) = _open_all(ls, [(text, like)])
    return opened


def _messages(diagnostics: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(d["range"]["start"]["line"] + 1, d["message"]) for d in diagnostics]


def _line_of(text: str, start: str) -> int:
    """0-based line number of the first line starting with ``start``."""
    return next(i for i, line in enumerate(text.split("\n")) if line.startswith(start))


def _complete(ls: LanguageServer, uri: str, line: int, character: int) -> list[dict[str, Any]]:
    result = ls.request("textDocument/completion",
                        {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
    return result["items"] if isinstance(result, dict) else result


def _doc(item: dict[str, Any]) -> str:
    doc = item.get("documentation") or ""
    return doc["value"] if isinstance(doc, dict) else doc


def _one_file_per_kind() -> list[Path]:
    files: dict[str, Path] = {}
    for root in (CONTENT, VALID):
        for kind, path in record_files(root):
            files.setdefault(kind.KIND, path)
    return [files[k.KIND] for k in KINDS if k.KIND in files]


# ---- no diagnostics on valid content ------------------------------------------------

def test_language_server_demo_content_has_no_diagnostics(server: LanguageServer) -> None:
    files = [path for _, path in record_files(CONTENT)]
    assert len(files) > 100
    # Opened all at once: the server validates them side by side (one by one it waits ~0.4 s for each).
    for path in files:
        server.notify("textDocument/didOpen", {"textDocument": {
            "uri": path.as_uri(), "languageId": "yaml", "version": 1, "text": path.read_text(encoding="utf-8")}})
    found = {path.relative_to(REPO).as_posix(): _messages(server.wait_diagnostics(path.as_uri())) for path in files}
    for path in files:
        server.close(path.as_uri())
    assert {name: messages for name, messages in found.items() if messages} == {}


def test_language_server_valid_file_of_each_kind_has_no_diagnostics(server: LanguageServer) -> None:
    from chalicelib.settlement import to_yaml

    from .test_settlement import summary

    files = _one_file_per_kind()
    found = _open_all(server, [(p.read_text(encoding="utf-8"), CONTENT / p.parent.name / p.name) for p in files])
    assert {p.parent.name: _messages(d) for p, (_, d) in zip(files, found, strict=True) if d} == {}
    # and the settlement as the API exports it (editors commit it unchanged)
    _, diagnostics = _open(server, to_yaml(summary()), CONTENT / "settlements" / "giving-day.yml")
    assert _messages(diagnostics) == []


@pytest.mark.parametrize("amount", ['"0.96万"', '"¥9,600.00"', "9600", '"1,779,300元"', "9800.5"])
def test_language_server_documented_money_formats_are_not_red(server: LanguageServer, amount: str) -> None:
    # The finding: VS Code marked "0.96万" and "¥9,600.00" red (Python-only regex syntax in the patterns).
    text = HC.read_text(encoding="utf-8").replace("\ncost: 9600\n", f"\ncost: {amount}\n")
    assert f"cost: {amount}" in text
    _, diagnostics = _open(server, text)
    assert _messages(diagnostics) == []


def test_language_server_importer_output_is_not_red(server: LanguageServer, tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(VALID, content)
    sheet = tmp_path / "小屋名单 (2).csv"
    sheet.write_text("id,programme,township,alias,age_band,household,identified,cost\n"
                     "HC-901,demo,方下镇,小禾,11-12,minimum_income;orphan,2022/3/1,\"¥9,600.00\"\n", encoding="utf-8")
    ok, messages = import_cottages(sheet, content)
    assert ok, messages
    written = (content / "cottages" / "HC-901.yml").read_text(encoding="utf-8")
    _, diagnostics = _open(server, written, CONTENT / "cottages" / "HC-901.yml")
    assert _messages(diagnostics) == []


def test_language_server_new_reference_id_is_not_red(server: LanguageServer) -> None:
    # Reference fields offer existing ids as suggestions; an id added in the same change is the checks' business.
    text = HC.read_text(encoding="utf-8").replace("project: laiwu-hope-cottages", "project: a-project-added-today")
    assert "a-project-added-today" in text
    _, diagnostics = _open(server, text)
    assert _messages(diagnostics) == []


# ---- a diagnostic on a bad value ----------------------------------------------------

@pytest.mark.parametrize(("old", "new", "says"), [
    ("age_band: 13-14", "age_band: 7-9", '"8-10"'),  # not one of the choices, which the message lists
    ("township: 杨庄镇", "townshp: 杨庄镇", "townshp"),  # a typo in a field name
    ("cost: 9600", "cost: 两万元", "Incorrect type"),  # money nobody can read: neither a number nor the pattern
])
def test_language_server_bad_value_gets_a_diagnostic_on_its_line(server: LanguageServer, old: str, new: str,
                                                                   says: str) -> None:
    original = HC.read_text(encoding="utf-8")
    assert old in original
    text = original.replace(old, new, 1)
    _, diagnostics = _open(server, text)
    line = _line_of(text, new.split("\n")[-1].split(":")[0] + ":") + 1
    assert any(at == line and says in message for at, message in _messages(diagnostics)), _messages(diagnostics)


# ---- completion and hover in Chinese ------------------------------------------------

def test_language_server_completion_shows_chinese_field_descriptions(server: LanguageServer) -> None:
    # The finding: 61 % of top-level fields had no description in completion.
    text = HC.read_text(encoding="utf-8").replace("township: 杨庄镇\n", "").replace("batch:", "bat:") + "\n"
    uri, _ = _open(server, text)
    items = {i["label"]: i for i in _complete(server, uri, text.count("\n"), 0)}
    assert {"township", "batch"} <= set(items), sorted(items)  # the fields not yet in the file
    assert _doc(items["township"]).startswith("乡镇或街道，不得更细 / township")
    assert _doc(items["batch"]).startswith("建设批次编号")


def test_language_server_completion_shows_chinese_choice_labels(server: LanguageServer) -> None:
    # The finding: choice lists showed bare English codes.
    text = HC.read_text(encoding="utf-8")
    uri, _ = _open(server, text)
    line = _line_of(text, "age_band:")
    items = {i["label"]: _doc(i) for i in _complete(server, uri, line, len("age_band: "))}
    assert set(items) == {"8-10", "11-12", "13-14"} and "8至10岁" in items["8-10"]
    line = _line_of(text, "- disability")
    items = {i["label"]: _doc(i) for i in _complete(server, uri, line, len("- "))}
    assert "低保户" in items["minimum_income"] and "孤儿" in items["orphan"]


def test_language_server_reference_fields_offer_existing_ids(server: LanguageServer) -> None:
    # The finding: reference fields never offered existing ids.
    text = HC.read_text(encoding="utf-8")
    uri, _ = _open(server, text)
    projects = {i["label"] for i in _complete(server, uri, _line_of(text, "project:"), len("project: "))}
    assert {"laiwu-hope-cottages", "laiwu-hope-cottages-2022"} <= projects
    teams = {i["label"] for i in _complete(server, uri, _line_of(text, "team:"), len("team: "))} - {"Default value"}
    assert "laiwu-volunteers-02" in teams and "laiwu-league" not in teams
    assert "laiwu-contractor-a" not in teams  # a cottage's team is a volunteer team, never a contractor


def test_language_server_hover_shows_the_chinese_description_first(server: LanguageServer) -> None:
    text = HC.read_text(encoding="utf-8")
    uri, _ = _open(server, text)
    hover = server.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                  "position": {"line": _line_of(text, "township:"), "character": 2}})
    value = hover["contents"]["value"] if isinstance(hover["contents"], dict) else str(hover["contents"])
    # The schema's own title heads it (希望小屋 (cottage)), then the field's description, Chinese first.
    assert value.split("\n\n")[:2] == ["#### 希望小屋 (cottage)", "乡镇或街道，不得更细 / township or street office, nothing finer"]


# ---- the workspace settings ---------------------------------------------------------

def test_workspace_settings_map_every_content_folder_to_its_schema() -> None:
    schemas = _workspace_yaml_settings()["schemas"]
    assert schemas == {f"./site_src/schemas/{k.KIND}.schema.json": [f"content/{k.FOLDER}/*.yml",
                                                                     f"content/{k.FOLDER}/*.yaml"] for k in KINDS}
    assert all((REPO / path).is_file() for path in schemas)


def test_language_server_file_without_first_line_gets_its_schema_from_the_settings(server: LanguageServer) -> None:
    text = HC.read_text(encoding="utf-8").split("\n", 1)[1].replace("age_band: 13-14", "age_band: 7-9")
    assert "$schema" not in text
    _, diagnostics = _open(server, text)
    assert any(line == _line_of(text, "age_band:") + 1 for line, _ in _messages(diagnostics)), _messages(diagnostics)


def test_language_server_broken_file_of_each_kind_gets_its_diagnostic(server: LanguageServer) -> None:
    # A typo'd field in each kind's valid file: the diagnostic is on that line and names the field.
    files = _one_file_per_kind()
    texts = [p.read_text(encoding="utf-8").rstrip("\n") + "\nnmae: 拼错的字段\n" for p in files]
    found = _open_all(server, [(t, CONTENT / p.parent.name / p.name) for t, p in zip(texts, files, strict=True)])
    for path, text, (_, diagnostics) in zip(files, texts, found, strict=True):
        line = text.rstrip("\n").count("\n") + 1
        assert [(at, "nmae" in m) for at, m in _messages(diagnostics)] == [(line, True)], (path, diagnostics)
