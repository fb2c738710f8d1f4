"""Editors' and builders' commands: python -m site_src {check,schemas,catalogue,import-cottages}.

``check`` and ``catalogue`` run the same content pipeline as the site build (:func:`site_src.pipeline.check_content`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .pipeline import CONTENT, SCHEMA_DIR, check_content, content_root


def _root(args: argparse.Namespace) -> Path:
    return Path(args.content) if args.content else content_root()


def _check(args: argparse.Namespace) -> int:
    root = _root(args)
    loaded = check_content(root)
    if root.resolve() == CONTENT.resolve():
        # The ids completion offers follow the content (site_src/schemas.py says why they are only suggestions).
        from .schemas import IDS, refresh_ids

        if refresh_ids(SCHEMA_DIR, root):
            print(f"已更新自动补全的编号列表 / refreshed the ids offered in completion: site_src/schemas/{IDS}")
    report = loaded.report
    text = report.render()
    if text:
        print(text)
    if report.ok:
        print(f"内容检查通过：{loaded.files} 个文件 / content checks passed: {loaded.files} files")
        return 0
    print(f"\n内容检查发现 {len(report.errors)} 个问题 / {len(report.errors)} content problem(s) found", file=sys.stderr)
    return 1


def _schemas(args: argparse.Namespace) -> int:
    from .schemas import write_all

    written = write_all(Path(args.out), content=_root(args))
    print(f"schemas: {len(written)} updated in {args.out}")
    return 0


def _catalogue(args: argparse.Namespace) -> int:
    from .catalogue import write_catalogue

    loaded = check_content(_root(args))
    if not loaded.report.ok:
        print(loaded.report.render())
        print("内容检查未通过，未生成目录 / content checks failed; no catalogue written", file=sys.stderr)
        return 1
    path = write_catalogue(loaded, Path(args.out))
    print(f"catalogue: {path}")
    return 0


def _import_cottages(args: argparse.Namespace) -> int:
    from .importer import import_cottages

    ok, messages = import_cottages(Path(args.csv), _root(args), dry_run=args.dry_run)
    for line in messages:
        print(line)
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m site_src", description="青益内容工具 / Qingyi content tools")
    parser.add_argument("--content", default=None,
                        help="content folder (default: $QINGYI_CONTENT, else content/)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="检查全部内容 / run every content check").set_defaults(fn=_check)
    p = sub.add_parser("schemas", help="重新生成 JSON Schema / regenerate the JSON Schemas")
    p.add_argument("--out", default=str(SCHEMA_DIR))
    p.set_defaults(fn=_schemas)
    p = sub.add_parser("catalogue", help="编译 API 目录 / compile the API catalogue")
    p.add_argument("--out", required=True)
    p.set_defaults(fn=_catalogue)
    p = sub.add_parser("import-cottages", help="从 CSV 导入小屋 / import cottages from a CSV")
    p.add_argument("csv")
    p.add_argument("--dry-run", action="store_true")
    p.set_defaults(fn=_import_cottages)
    args = parser.parse_args(argv)
    return int(args.fn(args))


if __name__ == "__main__":
    sys.exit(main())
