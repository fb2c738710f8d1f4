"""Read YAML keeping where every value came from, and refusing duplicate keys.

PyYAML's constructors silently keep the last of two equal keys and forget
positions. We compose the node tree ourselves (safe loader, no tags beyond the
core schema) and build plain Python values plus a map from field path to
(line, column), so every later check can point at the exact place in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Any

import yaml

from .errors import ContentError

Path = tuple[str | int, ...]


@dataclass
class Source:
    """One YAML file: its data and the position of every path inside it."""

    file: str
    data: Any
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    text: str = ""

    def where(self, path: Path) -> tuple[int, int]:
        """Line and column (1-based) of the nearest known ancestor of ``path``."""
        probe = tuple(path)
        while probe:
            if probe in self.positions:
                return self.positions[probe]
            probe = probe[:-1]
        return self.positions.get((), (1, 1))

    def error(self, path: Path, rule: str, zh: str, en: str, fix_zh: str = "", fix_en: str = "") -> ContentError:
        line, col = self.where(path)
        return ContentError(self.file, line, col, rule, dotted(path), zh, en, fix_zh, fix_en)


def dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# libyaml's parser when it is there (about five times faster at scale); same nodes, same marks.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc,valid-type]
    pass


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _build(src: Source, node: yaml.Node, path: Path, errors: list[ContentError], loader: _Loader) -> Any:
    src.positions.setdefault(path, _mark(node))
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int)):
                errors.append(src.error(path, "yaml.key", "键必须是文字", "keys must be text"))
                continue
            key = str(key)
            if key in out:
                first = src.positions.get(path + (key,), (0, 0))[0]
                line, col = _mark(key_node)
                errors.append(
                    ContentError(
                        src.file, line, col, "yaml.duplicate_key", dotted(path + (key,)),
                        f"键“{key}”重复出现（第一次在第 {first} 行）",
                        f"the key {key!r} appears twice (first on line {first})",
                        "删除或合并其中一个", "remove or merge one of them",
                    )
                )
                continue
            src.positions[path + (key,)] = _mark(key_node)
            out[key] = _build(src, value_node, path + (key,), errors, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(src, child, path + (i,), errors, loader) for i, child in enumerate(node.value)]
    try:
        return loader.construct_object(node, deep=True)
    except ValueError:
        # An impossible date such as 2021-13-10: keep the text and let the model say what is wrong with it.
        return node.value


def load_text(file: str, text: str) -> tuple[Source, list[ContentError]]:
    """Parse one YAML document; return the source and any syntax errors."""
    src = Source(file=file, data=None, text=text)
    errors: list[ContentError] = []
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:  # the reader refuses control characters before parsing starts
        errors.append(ContentError(file, 1, 1, "yaml.syntax", "", f"文件含有不允许的字符：{exc}",
                                   f"the file holds characters YAML does not allow: {exc}",
                                   "删除不可见的控制字符，按 UTF-8 文本另存", "remove control characters; save as UTF-8 text"))
        return src, errors
    try:
        node = loader.get_single_node()
        if node is None:
            errors.append(ContentError(file, 1, 1, "yaml.empty", "", "文件是空的", "the file is empty",
                                       "填写记录内容或删除文件", "fill in the record or delete the file"))
            return src, errors
        src.data = _build(src, node, (), errors, loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = f"{exc.context or ''} {exc.problem or ''}".strip()
        if "quoted scalar" in (exc.context or "") and exc.context_mark is not None:
            # The parser stops at the end of the file; the editor needs the line where the quote opened.
            opened = exc.context_mark
            errors.append(ContentError(
                file, opened.line + 1, opened.column + 1, "yaml.syntax", "",
                "从这里开始的引号一直没有结束（缺少配对的引号）", "the quote that starts here is never closed",
                "在值的末尾补上同样的引号（\" 或 '），或去掉开头的引号", "close the quote at the end of the value, or remove it"))
            return src, errors
        errors.append(syntax_hint(file, text, line, col, problem))
    except yaml.YAMLError as exc:
        errors.append(ContentError(file, 1, 1, "yaml.syntax", "", f"YAML 格式错误：{exc}", f"YAML error: {exc}"))
    finally:
        loader.dispose()
    return src, errors


# A key typed with the Chinese input method on: "township：方下镇" (full-width colon, no ASCII one).
_FULL_WIDTH_KEY = re.compile(r"^[ ]*(?:-[ ]+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)[ \t\u3000]*：", re.M)
_TAB_INDENT = re.compile(r"^[ ]*\t", re.M)


def _error_line(text: str) -> int | None:
    """The line of the first parse error in ``text``, or None when it parses."""
    loader = _Loader(text)
    try:
        loader.get_single_node()
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return mark.line + 1 if mark else 1
    except yaml.YAMLError:
        return 1
    finally:
        loader.dispose()


def _the_cause(text: str, start: int, end: int, replacement: str, line: int) -> bool:
    """Whether the slip at text[start:end] is what the parser tripped on: with it fixed, the parse gets past
    ``line`` (a "Tips：" inside a block of text is no key, and an error further down is not its fault)."""
    after = _error_line(text[:start] + replacement + text[end:])
    return after is None or after > line


def _slip(pattern: re.Pattern[str], text: str, line: int, replacement: str, group: str | None = None
          ) -> re.Match[str] | None:
    """The last occurrence of a slip at or before the parser's error line that is the cause of it."""
    found = [m for m in pattern.finditer(text) if text.count("\n", 0, m.start()) + 1 <= line]
    for m in reversed(found):
        start, end = m.span(group) if group else (m.end() - 1, m.end())
        if _the_cause(text, start, end, replacement, line):
            return m
    return None


def syntax_hint(file: str, text: str, line: int, col: int, problem: str) -> ContentError:
    """A parser error in editors' words: the common slips (full-width colon, tab, undefined alias) are named,
    at the line where they are, with the fix; anything else keeps the parser's words. A slip is named only
    when fixing it gets the parser past the error, so an unrelated "Tips：" in a text block is never blamed."""
    m = _slip(_FULL_WIDTH_KEY, text, line, ": ")
    if m is not None:
        at = text.count("\n", 0, m.start()) + 1
        return ContentError(
            file, at, m.end() - m.start(), "yaml.syntax", m.group("key"),
            f"字段“{m.group('key')}”后面是中文全角冒号“：”，YAML 只认英文冒号", f"the key {m.group('key')!r} is followed by a full-width colon (：); YAML needs the ASCII colon",
            f"把“：”改成英文冒号加一个空格：{m.group('key')}: ", f"type an ASCII colon and a space: {m.group('key')}: ")
    t = _slip(_TAB_INDENT, text, line, "  ")
    if t is not None:
        at = text.count("\n", 0, t.start()) + 1
        return ContentError(file, at, 1, "yaml.syntax", "", "这一行用 Tab 键缩进，YAML 只允许空格",
                            "this line is indented with a tab; YAML allows spaces only",
                            "把 Tab 换成两个空格（VS Code：右下角“Spaces: 2”）", "replace the tab with two spaces")
    if "undefined alias" in problem:
        lines = text.split("\n")
        word = re.search(r"\*([^\s,\]}]+)", lines[line - 1][col - 1 :] if 0 < line <= len(lines) else "")
        name = word.group(1) if word else ""
        return ContentError(
            file, line, col, "yaml.alias", "",
            f"“*{name}”引用了一个不存在的锚点 “&{name}”", f"*{name} refers to an anchor &{name} that is not defined",
            f"把 *{name} 换成实际的值（例如日期 2021-04-20），不要使用 & 和 * 写法",
            f"write the value itself (such as the date 2021-04-20) instead of *{name}; avoid & and * in records")
    return ContentError(file, line, col, "yaml.syntax", "", f"YAML 格式错误：{problem}", f"YAML syntax error: {problem}",
                        "检查缩进、冒号和引号是否配对", "check indentation, colons and matching quotes")


SCHEMA_POINTER = "# yaml-language-server: $schema=../../site_src/schemas/{kind}.schema.json\n"


class _PlainDumper(yaml.SafeDumper):
    """PyYAML writes a value used twice (the same date object) as ``&id001`` ... ``*id001``: an editor
    cannot read that, and deleting the first use breaks the second. Every value is written out in full."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


class Yuan(str):
    """An amount in yuan as exact text ("9600", "9800.5"), written as a plain YAML number the way editors
    type it, never through a float."""


def _represent_yuan(dumper: yaml.SafeDumper, value: Yuan) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:float" if "." in value else "tag:yaml.org,2002:int", str(value))


_PlainDumper.add_representer(Yuan, _represent_yuan)


def dump_plain(data: Any) -> str:
    """Plain YAML as editors write it: Chinese as is, field order kept, no anchors or aliases."""
    return yaml.dump(data, Dumper=_PlainDumper, allow_unicode=True, sort_keys=False, width=120)


def write_record(path: FilePath, kind: str, data: dict[str, Any]) -> None:
    """Write one record as editors keep it: the schema pointer, then plain YAML in field order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = dump_plain(data)
    path.write_text(SCHEMA_POINTER.format(kind=kind) + text, encoding="utf-8")
