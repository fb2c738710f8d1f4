"""What survives between builds in one process (``mkdocs serve``): parsed content and rendered cottages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..pipeline import ParseCache
from .cottages import CottageCache


class ContentFailed(Exception):
    """The content checks found errors; ``text`` is the editors' report."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass
class State:
    serving: bool = False
    build: Any = None
    cottages: CottageCache = field(default_factory=CottageCache)
    content: ParseCache = field(default_factory=ParseCache)  # every content file's result, by path
    pages: dict[str, str] = field(default_factory=dict)  # generated Markdown of the last build, by src_uri


STATE = State()
