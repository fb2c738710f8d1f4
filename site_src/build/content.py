"""Load and check content for a build: exactly the checks of ``make check-content``."""

from __future__ import annotations

from pathlib import Path

from ..loader import Loaded
from ..pipeline import check_content
from .state import ContentFailed, State


def check(root: Path, state: State) -> Loaded:
    loaded = check_content(root)
    if not loaded.report.ok:
        text = loaded.report.render()
        raise ContentFailed(f"内容检查发现 {len(loaded.report.errors)} 个问题，未生成网站 / "
                            f"{len(loaded.report.errors)} content problem(s); the site was not built\n{text}")
    return loaded
