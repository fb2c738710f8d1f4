"""The per-cottage page as a plain Python string template (was cottage.html.j2).

A Jinja2 render costs about 150 µs a page, most of it context set-up; at 100,000 cottages
that is seconds of the build. This is the same page, byte for byte, made by joining strings.

Escaping: every value that comes from content goes through :func:`esc` (markupsafe's escape,
exactly what Jinja2's ``| e`` did), ids and refs included, although their pattern already
allows only letters, digits and dashes. What is not escaped here is made by the build itself
and escaped where it is made: the shell (head, header, footer), stage lines (dates and fixed
labels), formatted money, fixed Chinese labels and URLs built by ``listing_url`` (percent-quoted).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from markupsafe import escape as _escape

EXAMPLE = ' <span class="qy-example" title="示例数据：公报没有逐条列出，此记录为演示而生成">示例数据</span>'
PRIVACY = "<p class=\"qy-note\">为保护孩子，本页只公开化名、年龄段和乡镇（街道），不公开姓名、住址、学校和照片。</p>\n"


def esc(value: Any) -> str:
    """HTML-escape one value (& < > ' " as Jinja2's ``| e``), as a plain str."""
    return str(_escape(value))


def render(*, c: Any, head: str, header: str, footer: str, root: str, site_name: str, stage: str,
           stage_lines: str, batch: str, project: str, team: str, cost: str, day_text: Callable[[Any], str],
           activity_zh: Mapping[str, str], households: str, township_url: str, api_url: str) -> str:
    cid = esc(c.id)
    alias = esc(c.alias)
    township = esc(c.township)
    out = [
        f'{head}<title>希望小屋 {cid} · {esc(site_name)}</title>\n'
        f'<meta name="description" content="希望小屋 {cid}（化名{alias}），{township}，{esc(stage)}">\n'
        f'</head>\n<body class="qy-light">{header}\n'
        '<main class="md-main" id="main"><div class="md-main__inner md-grid"><div class="md-content">'
        '<article class="md-content__inner md-typeset">\n'
        f'<nav class="qy-crumbs" aria-label="位置"><a href="{root}">首页</a> › <a href="{root}cottages/">希望小屋</a> › {cid}</nav>\n'
        f'<h1>希望小屋 {cid}{EXAMPLE if c.example else ""}</h1>\n'
        '<dl class="qy-facts">\n'
        f'<div><dt>化名</dt><dd>{alias}</dd></div>\n'
        f'<div><dt>年龄段</dt><dd>{esc(c.age_band)}岁</dd></div>\n'
        f'<div><dt>乡镇（街道）</dt><dd><a href="{root}{township_url}">{township}</a></dd></div>\n'
        f'<div><dt>家庭类别</dt><dd>{esc(households)}</dd></div>\n'
        f'<div><dt>当前阶段</dt><dd>{esc(stage)}</dd></div>\n'
    ]
    if batch:
        out.append(f'<div><dt>建设批次</dt><dd><a href="{root}batches/{esc(c.batch)}/">{esc(batch)}</a></dd></div>')
    if c.cost:
        out.append(f'<div><dt>改造费用</dt><dd>{esc(cost)}</dd></div>')
    if project:
        out.append(f'<div><dt>资金来源</dt><dd><a href="{root}projects/{esc(c.project)}/">{esc(project)}</a></dd></div>')
    if team:
        out.append(f'<div><dt>结对志愿服务队</dt><dd>{esc(team)}</dd></div>')
    out.append('</dl>\n')
    if team:
        out.append(f'<div id="cottage-visits" class="qy-live-visits" data-cottage-id="{cid}" data-api="{esc(api_url)}" '
                   'aria-live="polite"><p class="qy-live-visits__count" hidden></p>'  # its room kept (live.css)
                   '<p class="qy-note">上门探访次数在脚本载入后从志愿服务记录实时读取。</p></div>\n')
    out.append(f'<h2>进度</h2>\n<ol class="qy-stages">\n{stage_lines}\n</ol>\n')
    if c.activities:
        out.append('<h2>活动</h2>\n<ul>\n')
        for a in c.activities:
            note = f"：{esc(a.note)}" if a.note else ""
            out.append(f'<li><time datetime="{a.date.isoformat()}">{esc(day_text(a.date))}</time> '
                       f'{esc(activity_zh[a.kind])}{note}</li>\n')
        out.append('</ul>\n')
    out.append(f'{PRIVACY}</article></div></div></main>\n{footer}\n')
    return "".join(out)
