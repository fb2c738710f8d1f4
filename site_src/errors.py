"""Content problems, told to editors in Chinese and English with file and line.

Every check in the content pipeline reports a :class:`ContentError`; nothing
raises a traceback at an editor. The same error prints as plain text in a
terminal and as a GitHub Actions annotation under CI.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields


@dataclass(frozen=True, order=True)
class ContentError:
    file: str
    line: int
    column: int
    rule: str
    field: str
    zh: str
    en: str
    fix_zh: str = ""
    fix_en: str = ""
    severity: str = "error"  # or "warning": reported, but the content still passes (a deadline coming up)

    def text(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        head = f"{where}: [{self.rule}] {self.field or '(文件 file)'}"
        zh, en = ("警告", "Warning") if self.severity == "warning" else ("错误", "Error")
        lines = [head, f"  {zh}：{self.zh}", f"  {en}: {self.en}"]
        if self.fix_zh or self.fix_en:
            lines += [f"  修改：{self.fix_zh}", f"  Fix: {self.fix_en}"]
        return "\n".join(lines)

    def annotation(self) -> str:
        # GitHub workflow commands: newlines must be escaped as %0A.
        body = f"[{self.rule}] {self.field}: {self.zh} / {self.en}"
        if self.fix_zh:
            body += f" 修改：{self.fix_zh} / Fix: {self.fix_en}"
        body = body.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        level = "warning" if self.severity == "warning" else "error"
        return f"::{level} file={self.file},line={self.line},col={self.column},title={self.rule}::{body}"


@dataclass(frozen=True, order=True)
class Consequence(ContentError):
    """Not a problem of its own: the record refers to (or counts) a record that has errors itself.

    Said in one line after the root causes, and neither counted nor annotated as a failure: one
    unreadable project must not bury its own error under the 142 cottages that point at it.
    """

    @classmethod
    def of(cls, err: ContentError) -> Consequence:
        return cls(*(getattr(err, f.name) for f in fields(ContentError)))

    def one_line(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.field}: {self.zh} / {self.en}"


#: GitHub shows at most this many error annotations of one step.
GITHUB_ANNOTATIONS = 10


@dataclass
class Waiver:
    """A privacy finding an editor has waived in the file itself, with a reason."""

    file: str
    line: int
    rule: str
    reason: str

    def text(self) -> str:
        return f"{self.file}:{self.line}: 已豁免 waived [{self.rule}]：{self.reason}"


@dataclass
class Report:
    """``errors`` in the order they are shown: root causes first (the content pipeline orders them)."""

    errors: list[ContentError] = field(default_factory=list)
    waivers: list[Waiver] = field(default_factory=list)
    warnings: list[ContentError] = field(default_factory=list)
    consequences: list[Consequence] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def extend(self, errors: list[ContentError]) -> None:
        for err in errors:
            (self.warnings if err.severity == "warning" else self.errors).append(err)

    def render(self, github: bool | None = None) -> str:
        if github is None:
            github = os.environ.get("GITHUB_ACTIONS") == "true"
        out = [w.text() for w in self.waivers]
        errors = self.errors + sorted(self.warnings)  # root causes first, as the pipeline ordered them
        if not github:
            out += [err.text() for err in errors]
        else:
            # Past GitHub's limit an annotation is silently dropped: the last one left says how many
            # more there are, and the log lists them all.
            annotated = errors if len(errors) <= GITHUB_ANNOTATIONS else errors[:GITHUB_ANNOTATIONS - 1]
            out += [err.annotation() for err in annotated]
            rest = errors[len(annotated):]
            if rest:
                out.append(f"::error title=content::另有 {len(rest)} 个问题，见本步骤的日志 / "
                           f"{len(rest)} more problem(s), listed in this step's log")
                out += [err.text() for err in rest]
        if self.consequences:
            n = len(self.consequences)
            if github:
                out.append(f"::notice title=content::另有 {n} 处依赖本身有错误的记录，改正上面的错误即可 / "
                           f"{n} place(s) depend on records that have errors themselves; fixing the errors above fixes them")
            out.append(f"以下 {n} 处依赖本身有错误的记录（不另计为问题） / "
                       f"{n} place(s) depend on records that have errors themselves (not counted as problems):")
            out += [f"  {c.one_line()}" for c in self.consequences]
        return "\n".join(out)


class ContentInvalid(Exception):
    """Raised by the build when content fails its checks; carries the report."""

    def __init__(self, report: Report) -> None:
        super().__init__(f"{len(report.errors)} content error(s)")
        self.report = report
