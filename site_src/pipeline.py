"""The content pipeline: load, check references and sums, lint for privacy. One call for the CLI and the build."""

from __future__ import annotations

from pathlib import Path

from .checks import run_checks
from .errors import ContentError
from .loader import Loaded, load, record_files
from .yamlsrc import SCHEMA_POINTER

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"
SCHEMA_DIR = REPO / "site_src" / "schemas"


def schema_ref(kind: str) -> str:
    """The schema pointer each YAML file starts with, relative to content/<folder>/."""
    return SCHEMA_POINTER.format(kind=kind).strip()


def _schema_lines(loaded: Loaded) -> list[ContentError]:
    errors = []
    for kind, path in record_files(loaded.root):
        src = loaded.sources.get((kind.KIND, path.stem))
        if src is None:
            continue
        first = src.text.split("\n", 1)[0].strip()
        if first != schema_ref(kind.KIND):
            errors.append(src.error((), "file.schema_line", "第一行应指向本类记录的 JSON Schema，编辑器才能自动补全",
                                    "the first line must point to this kind's JSON Schema so editors get autocomplete",
                                    f"把第一行改为：{schema_ref(kind.KIND)}", f"make the first line: {schema_ref(kind.KIND)}"))
    return errors


def check_content(root: Path = CONTENT) -> Loaded:
    """Everything `make check-content` runs; the report is in ``loaded.report``."""
    loaded = load(root)
    report = loaded.report
    report.extend(run_checks(loaded))
    report.extend(_schema_lines(loaded))
    from . import privacy

    found, waivers = privacy.scan_tree(root)
    report.extend(found)
    report.waivers.extend(waivers)
    return loaded
