"""The demo site, built once with `mkdocs build --strict` into a temporary folder, then read as HTML and data.

Every page kind exists; the bulletin's figures are where they belong; charts draw the right widths;
no cottage is in the navigation; every internal link resolves; the privacy lint finds nothing in
what is published; open data parses; the 360Giving file validates against the standard's schema.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from site_src import privacy
from site_src.models import Batch, Campaign, Cottage, Need, Project, Team, VentureProject
from site_src.pipeline import check_content
from site_src.publish.charts import WIDTH

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = Path(__file__).parent / "data" / "360giving"
CONTENT = REPO / "content"


def _mkdocs(site: Path, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env_extra or {})}
    if env.get("CI") == "":
        del env["CI"]  # an editor's terminal: progress is printed
    mkdocs = str(Path(sys.executable).with_name("mkdocs"))
    return subprocess.run([mkdocs, "build", "--strict", "-f", str(REPO / "mkdocs.yml"), "-d", str(site)], cwd=REPO,
                          capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site") / "site"
    result = _mkdocs(site, {"CI": ""})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "小屋页" in result.stderr  # progress is printed outside CI
    return site


@pytest.fixture(scope="module")
def content():
    return check_content(CONTENT)


def page(site: Path, url: str) -> str:
    path = site / url if url.endswith(".html") else site / url / "index.html"
    return path.read_text(encoding="utf-8")


def text_of(html: str) -> str:
    body = html[html.find("<article"):html.rfind("</article>")] if "<article" in html else html
    body = re.sub(r"<svg.*?</svg>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).replace("&amp;", "&")


# ---- every page kind ---------------------------------------------------------------

PAGE_KINDS = [
    "", "programmes/laiwu/", "programmes/linhai/", "programmes/shunde/", "disclosure/laiwu/", "projects/laiwu-hope-cottages/",
    "projects/laiwu-hope-cottages-2022/", "cottages/", "cottages/HC-001.html", "cottages/list/all/",
    "cottages/list/stage/in_service/", "cottages/list/batch/laiwu-2020-b1/", "batches/", "batches/laiwu-2020-b1/",
    "campaigns/", "campaigns/laiwu-99-2021/", "teams/", "teams/team-01/", "needs/", "needs/need-001/",
    "ventures/", "ventures/shunde-mock-court/", "ventures/shunde-mock-court/notice/", "ledger/laiwu/", "data/",
]


@pytest.mark.parametrize("url", PAGE_KINDS)
def test_every_page_kind_exists(built: Path, url: str) -> None:
    html = page(built, url)
    assert '<html lang="zh-CN"' in html
    assert html.count("<h1") == 1


def test_a_township_listing_exists_for_every_township(built: Path, content) -> None:
    for township in {c.township for c in content.of(Cottage).values()}:
        assert (built / "cottages" / "list" / "township" / township / "index.html").is_file(), township


def test_editors_guide_is_in_the_site_and_nav(built: Path) -> None:
    if not (REPO / "site_src" / "docs" / "editors" / "index.md").is_file():
        pytest.skip("the editors' guide is not written yet")
    assert (built / "editors" / "index.html").is_file()
    assert 'href="editors/"' in page(built, "")


def test_data_files_exist(built: Path) -> None:
    for name in ["projects", "cottages", "campaigns", "teams", "funding", "uses", "ledger-laiwu", "filings"]:
        assert (built / "data" / f"{name}.json").is_file() and (built / "data" / f"{name}.csv").is_file(), name
    assert (built / "data" / "360giving-grants.json").is_file()
    assert (built / "feed.xml").is_file()
    data_page = page(built, "data/")
    for name in ["cottages.csv", "funding.json", "360giving-grants.json", "feed.xml"]:
        assert name in data_page


# ---- the bulletin's figures --------------------------------------------------------

FIGURES = {
    "programmes/laiwu/": ["¥1,779,300", "177.93万元", "¥260,600", "26.06万元", "¥520,200", "52.02万元", "¥998,500",
                          "99.85万元", "138", "300余"],
    "programmes/linhai/": ["65", "31", "687", "650余", "2,300余", "6"],
    "programmes/shunde/": ["23", "超过100万元", "10场", "4,000余人次"],
    "needs/": ["687", "650余支", "2,300余场"],
    "ventures/shunde-mock-court/": ["开展 10 场", "4,000余人次"],
    "": ["¥1,779,300", "138", "65", "23"],
    "ledger/laiwu/": ["¥1,779,300", "177.93万元"],
    "projects/laiwu-hope-cottages/": ["¥1,779,300", "¥260,600", "¥520,200", "¥998,500"],
}


@pytest.mark.parametrize("url", list(FIGURES))
def test_bulletin_figures_appear_where_they_belong(built: Path, url: str) -> None:
    text = text_of(page(built, url))
    for figure in FIGURES[url]:
        assert figure in text, f"{figure!r} missing on /{url}"


def test_cottages_built_count_on_the_cottage_overview(built: Path) -> None:
    assert "已建成 138 间" in text_of(page(built, "cottages/"))


# ---- charts ----------------------------------------------------------------------

BAR = re.compile(r'<rect class="qy-bar"[^>]*?width="([\d.]+)"[^>]*?data-value="(\d+)" data-max="(\d+)"')


def test_sources_of_funds_bars_have_the_right_widths(built: Path) -> None:
    html = page(built, "programmes/laiwu/")
    svg = re.search(r'<svg class="qy-chart qy-bars".*?</svg>', html, re.S).group(0)
    bars = {int(v): float(w) for w, v, _ in BAR.findall(svg)}
    span = WIDTH  # bars take the full width, under their labels
    assert bars == {99_850_000: span, 52_020_000: round(52_020_000 * span / 99_850_000, 2),
                    26_060_000: round(26_060_000 * span / 99_850_000, 2)}
    assert "网络众筹 ¥998,500" in svg and "<title" in svg and "<desc" in svg


def test_project_progress_bar_width(built: Path) -> None:
    html = page(built, "projects/laiwu-hope-cottages/")
    mount = re.search(r'<div id="pledge-widget"[^>]*>', html).group(0)
    assert 'data-project-id="laiwu-hope-cottages"' in mount and 'data-api="http' in mount
    assert 'data-raised-fen="177930000"' in mount and 'data-goal-fen="180000000"' in mount
    width, value, maximum = BAR.search(html).groups()
    assert (int(value), int(maximum)) == (177_930_000, 180_000_000)
    assert float(width) == round(177_930_000 * WIDTH / 180_000_000, 2) == 355.86


def test_funnel_draws_300_and_138(built: Path) -> None:
    html = page(built, "programmes/laiwu/")
    svg = re.search(r'<svg class="qy-chart qy-funnel".*?</svg>', html, re.S).group(0)
    bars = {int(v): float(w) for w, v, _ in re.findall(r'width="([\d.]+)" height="30" fill="#\w+" data-value="(\d+)" data-max="(\d+)"', svg)}
    assert bars == {300: WIDTH, 138: round(138 * WIDTH / 300, 2)}
    assert svg.count('class="qy-unknown"') == 3  # screened, visited, approved: not published


def test_every_chart_has_a_text_alternative(built: Path) -> None:
    for path in built.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        for svg in re.findall(r"<svg class=\"qy-chart[^>]*>.*?</svg>", html, re.S):
            ids = re.search(r'aria-labelledby="([^"]+)"', svg).group(1).split()
            assert 'role="img"' in svg
            for i in ids:
                assert re.search(rf'id="{i}">[^<]+<', svg), (path, i)


# ---- rules, widget, badges -------------------------------------------------------

def test_rules_in_plain_chinese_on_project_and_campaign_pages(built: Path) -> None:
    text = text_of(page(built, "projects/laiwu-hope-cottages/"))
    assert "每笔1:1配捐" in text and "单笔最多配捐100元" in text and "每人每天最多配捐999元" in text
    demo = text_of(page(built, "campaigns/laiwu-demo/"))
    assert "每支战队筹款满1,000元，项目配捐上限增加500元" in demo


def test_pledge_widget_mount_on_pledgeable_project_and_team(built: Path) -> None:
    html = page(built, "projects/laiwu-hope-cottages-2022/")
    assert re.search(r'<div id="pledge-widget"[^>]*data-project-id="laiwu-hope-cottages-2022"[^>]*data-api="[^"]+"', html)
    assert 'data-accepting="true"' in html and 'data-role="snapshot"' in html
    team = page(built, "teams/team-01/")
    assert re.search(r'<div id="pledge-widget"[^>]*data-team-id="team-01"', team)


@pytest.mark.parametrize("kind,url", [(Project, "projects/{}/"), (Campaign, "campaigns/{}/"), (Team, "teams/{}/"),
                                      (Batch, "batches/{}/"), (Need, "needs/{}/"), (VentureProject, "ventures/{}/"),
                                      (Cottage, "cottages/{}.html")])
def test_example_records_carry_the_badge(built: Path, content, kind, url) -> None:
    for rid, record in content.of(kind).items():
        head = page(built, url.format(rid))
        head = head[head.find("<h1"):head.find("</h2>") if "</h2>" in head else None]
        assert ("示例数据" in head) == record.example, (kind.KIND, rid)


# ---- navigation and links --------------------------------------------------------

def test_no_cottage_in_the_navigation(built: Path) -> None:
    for path in built.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        for nav in re.findall(r'<nav class="md-nav md-nav--primary".*?</nav>\s*</div>\s*</div>\s*</div>', html, re.S):
            assert not re.search(r'href="[^"]*cottages/HC-', nav), path
            assert "cottages/list/" not in nav, path
            assert len(re.findall(r"<a ", nav)) < 60, path


def _targets(site: Path, path: Path, html: str):
    base = "/" + path.parent.relative_to(site).as_posix() + "/"
    for attr in re.findall(r'(?:href|src)="([^"]+)"', html):
        parts = urlsplit(attr.replace("&amp;", "&"))
        if parts.scheme or parts.netloc or attr.startswith(("#", "mailto:", "javascript:", "data:")):
            continue
        target = Path(os.path.normpath(base + unquote(parts.path))) if not parts.path.startswith("/") else Path(unquote(parts.path))
        yield attr, site / str(target).lstrip("/")


def test_no_broken_internal_link(built: Path) -> None:
    broken = []
    for path in built.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        for attr, target in _targets(built, path, html):
            ok = target.is_file() or (target.is_dir() and (target / "index.html").is_file())
            if not ok:
                broken.append(f"{path.relative_to(built)} -> {attr}")
    assert not broken, "\n".join(broken[:30])


# ---- privacy ---------------------------------------------------------------------

def test_privacy_lint_finds_nothing_in_what_is_published(built: Path) -> None:
    found = []
    for path in built.rglob("*"):
        if path.suffix not in (".html", ".json", ".csv", ".xml") or "assets" in path.parts:
            continue
        rel = path.relative_to(built).as_posix()
        errors, _ = privacy.scan_text(rel, path.read_text(encoding="utf-8"), cottage=rel.startswith("cottages/"))
        found += [e.text() for e in errors]
    assert not found, "\n".join(found[:20])


def test_cottage_open_data_has_public_fields_only(built: Path) -> None:
    rows = json.loads((built / "data" / "cottages.json").read_text(encoding="utf-8"))
    assert len(rows) == 150
    assert set(rows[0]) == {"id", "example", "programme", "township", "alias", "age_band", "stage", "built", "batch",
                            "project", "cost_fen"}
    assert sum(1 for r in rows if r["built"]) == 138


# ---- open data -------------------------------------------------------------------

def test_open_data_files_parse(built: Path) -> None:
    for path in (built / "data").glob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))
    for path in (built / "data").glob("*.csv"):
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
        twin = path.with_suffix(".json")
        assert len(rows) == len(json.loads(twin.read_text(encoding="utf-8"))), path.name
    funding = json.loads((built / "data" / "funding.json").read_text(encoding="utf-8"))
    laiwu = sum(r["amount_fen"] for r in funding if r["project"] == "laiwu-hope-cottages")
    assert laiwu == 177_930_000
    ledger = list(csv.DictReader(io.StringIO((built / "data" / "ledger-laiwu.csv").read_text(encoding="utf-8"))))
    assert sum(int(r["amount_fen"]) for r in ledger if r["direction"] == "in") == 177_930_000


def test_atom_feed_parses(built: Path) -> None:
    root = ET.fromstring((built / "feed.xml").read_bytes())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = root.findall("a:entry", ns)
    assert entries and all(e.find("a:updated", ns) is not None and e.find("a:title", ns).text for e in entries)
    assert any("138" in e.find("a:title", ns).text for e in entries)


def test_360giving_file_validates_against_the_package_schema(built: Path) -> None:
    from jsonschema import Draft202012Validator
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    package = json.loads((SCHEMAS / "360-giving-package-schema.json").read_text(encoding="utf-8"))
    grant = json.loads((SCHEMAS / "360-giving-schema.json").read_text(encoding="utf-8"))
    ref = package["properties"]["grants"]["items"]["$ref"]
    # The copies declare "$schema": "http://json-schema.org/draft/2020-12/schema" (http, as published),
    # which referencing does not recognise by that spelling: say the dialect explicitly.
    resource = DRAFT202012.create_resource(grant)

    def no_network(uri: str):  # anything else the schema refers to must be local
        raise AssertionError(f"unresolved reference {uri}")

    registry = Registry(retrieve=no_network).with_resources([(ref, resource), (grant["$id"], resource)])
    data = json.loads((built / "data" / "360giving-grants.json").read_text(encoding="utf-8"))
    validator = Draft202012Validator(package, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(data), key=str)
    assert not errors, "\n".join(e.message for e in errors[:10])
    ids = [g["id"] for g in data["grants"]]
    assert len(ids) == 23 and all(i.startswith("360G-qingyi-") for i in ids) and len(set(ids)) == len(ids)
    bad = dict(data, grants=[{k: v for k, v in data["grants"][0].items() if k != "currency"}])
    assert list(validator.iter_errors(bad))  # the check can fail


# ---- search ----------------------------------------------------------------------

def test_search_finds_chinese_words_a_township_and_a_cottage_id(built: Path) -> None:
    index = json.loads((built / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert index["config"]["lang"] == ["zh"]
    docs = index["docs"]
    assert any("希望小屋" in d["text"].split("\u200b") or "希望\u200b小屋" in d["text"] for d in docs)
    listings = [d for d in docs if d["location"].startswith("cottages/list/township/")]
    assert listings and any(re.search(r"\bHC-001\b", d["text"]) for d in listings)
    hit = next(d for d in listings if re.search(r"\bHC-001\b", d["text"]))
    assert (built / unquote(hit["location"]) / "index.html").is_file()
    assert any("杨庄镇" in d["title"] for d in listings)
    assert not any(d["location"].startswith("cottages/HC-") for d in docs)  # one entry per listing, not per cottage


# ---- accessibility basics --------------------------------------------------------

def test_heading_order_never_skips_a_level(built: Path) -> None:
    for url in PAGE_KINDS:
        html = page(built, url)
        body = html[html.find("<article"):]
        levels = [int(h) for h in re.findall(r"<h([1-6])[\s>]", body)]
        assert levels and levels[0] == 1, url
        for a, b in zip(levels, levels[1:], strict=False):
            assert b <= a + 1, (url, levels)


def test_images_have_alt_text_and_form_fields_have_labels(built: Path) -> None:
    for path in built.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        for img in re.findall(r"<img [^>]*>", html):
            assert "alt=" in img, (path, img)
    lookup = page(built, "cottages/")
    assert '<label for="cottage-id">' in lookup and 'id="cottage-id"' in lookup


# ---- a failing check stops the build ---------------------------------------------

def test_failing_content_stops_the_build_with_the_editors_report(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    target = content / "cottages" / "HC-001.yml"
    target.write_text(target.read_text(encoding="utf-8").replace("batch: laiwu-2020-b1", "batch: laiwu-2020-b9"),
                      encoding="utf-8")
    result = _mkdocs(tmp_path / "site", {"QINGYI_CONTENT": str(content)})
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "content/cottages/HC-001.yml:" in out and "ref.missing" in out and "找不到" in out
    assert "Traceback" not in out
    assert not (tmp_path / "site" / "index.html").exists()


# ---- identity, trust and sharing (issue 14) ----------------------------------------------------

def test_footer_names_organiser_charity_and_contacts_from_content(built: Path, content) -> None:
    from site_src.models import Organisation, Programme

    orgs, programmes = content.of(Organisation), content.of(Programme)
    laiwu = programmes["laiwu"]
    organiser = orgs[laiwu.organiser]
    charity = orgs["shandong-youth-foundation"]  # the laiwu project's funding came via it
    for url in ("", "programmes/laiwu/", "projects/laiwu-hope-cottages-2022/", "teams/team-01/", "needs/"):
        footer = re.search(r'<footer class="md-footer">.*?</footer>', page(built, url), re.S).group(0)
        for p in programmes.values():
            assert orgs[p.organiser].name in footer, (url, p.id)
        assert organiser.contact and organiser.contact in footer
        assert f"善款接收与管理 {charity.name}" in footer and charity.contact in footer
        assert 'href="' in footer and "隐私声明" in footer and "关于我们与联系方式" in footer
    cottage = page(built, "cottages/HC-001.html")
    assert 'href="../privacy/"' in cottage and 'href="../about/"' in cottage


def test_about_and_privacy_pages(built: Path, content) -> None:
    about = text_of(page(built, "about/"))
    assert "共青团济南市莱芜区委员会" in about and "山东省青少年发展基金会" in about and "office@laiwu-league.example" in about
    privacy = text_of(page(built, "privacy/"))
    assert "不公开孩子的姓名" in privacy.replace(" ", "") and "noindex" in privacy


def test_logo_and_favicon_on_every_page_kind(built: Path) -> None:
    assert (built / "favicon.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"
    assert (built / "assets" / "qingyi" / "logo.svg").is_file()
    for url in ("", "programmes/laiwu/", "projects/laiwu-hope-cottages/", "teams/team-01/", "needs/",
                "ventures/shunde-cantonese-opera/", "cottages/HC-001.html", "cottages/list/all/"):
        html = page(built, url)
        assert re.search(r'<link rel="icon" href="[^"]*assets/qingyi/logo\.svg"', html), url
        assert re.search(r'md-logo[^>]*>\s*<img src="[^"]*assets/qingyi/logo\.svg"', html), url
    header = re.search(r"<header.*?</header>", page(built, "cottages/HC-001.html"), re.S).group(0)
    assert "青益 青益" not in text_of(header)


def test_each_page_has_its_own_description_and_share_tags(built: Path) -> None:
    seen = {}
    for url in ("", "programmes/laiwu/", "projects/laiwu-hope-cottages-2022/", "teams/team-01/", "needs/",
                "ventures/shunde-cantonese-opera/", "batches/laiwu-2020-b1/"):
        html = page(built, url)
        description = re.search(r'<meta name="description" content="([^"]+)"', html).group(1)
        assert re.search(r'<meta property="og:description" content="' + re.escape(description) + '"', html), url
        assert re.search(r'<meta property="og:title" content="[^"]+"', html), url
        image = re.search(r'<meta property="og:image" content="(http[^"]+\.png)"', html).group(1)
        assert (built / image.split("/", 3)[3]).is_file(), image
        seen[url] = description
    assert len(set(seen.values())) == len(seen)
    team = page(built, "teams/team-01/")
    assert 'content="http://127.0.0.1:8000/share/teams/team-01.png"' in team
    thumb = re.search(r'<img class="qy-wechat-thumb" src="([^"]+)"[^>]*width="600" height="315"', team).group(1)
    assert thumb.endswith("share/teams/team-01.png")
    assert re.search(r'href="[^"]*share/teams/team-01-poster\.png"[^>]*>生成海报<', team)
    assert (built / "share" / "teams" / "team-01-poster.png").read_bytes()[:4] == b"\x89PNG"


def test_home_page_leads_to_giving(built: Path) -> None:
    html = page(built, "")
    give = re.search(r'<section class="qy-give".*?</section>', html, re.S).group(0)
    assert 'href="projects/laiwu-hope-cottages-2022/#pledge-widget"' in give and "在线认捐" in give


def test_sources_table_starts_from_the_recorded_entries(built: Path) -> None:
    """The headline 已筹 and the table's total come from the same facts: the entries recorded in content,
    plus (on a project taking pledges) one live row for the online pledges that live.js fills in."""
    done = page(built, "projects/laiwu-hope-cottages/")
    assert 'data-recorded-fen="177930000"' in done and "来源合计 ¥1,779,300" in done
    assert 'data-role="online-pledges"' not in done
    live = page(built, "projects/laiwu-hope-cottages-2022/")
    assert 'data-raised-fen="0"' in live and 'data-recorded-fen="0"' in live
    assert re.search(r'<tr data-role="online-pledges" hidden>', live)
    assert "已入账来源" in live  # never a bare 来源合计 ¥0 under a live 已筹 figure


def test_tables_scroll_inside_a_named_region_and_numbers_align_right(built: Path) -> None:
    for url in ("ventures/", "projects/laiwu-hope-cottages/", "needs/", "ledger/laiwu/", "cottages/list/all/",
                "campaigns/laiwu-demo/", "disclosure/laiwu/"):
        html = page(built, url)
        tables = re.findall(r"<table\b", html)
        regions = re.findall(r'<div class="qy-table" role="region" tabindex="0" aria-label="[^"]+"', html)
        assert tables and len(regions) == len(tables), url
        # every table has a class: Material restyles (left-aligning qy-num cells) and re-wraps with JavaScript
        # after first paint (a layout shift, main-thread time) only a table:not([class])
        assert not re.findall(r"<table(?![^>]*\bclass=)[^>]*>", html), url
    assert re.search(r'<td class="qy-num">¥10,000</td>', page(built, "campaigns/laiwu-demo/"))
    assert re.search(r'<td class="qy-num">¥998,500</td>', page(built, "projects/laiwu-hope-cottages/"))


def test_no_chart_text_below_the_phone_minimum(built: Path) -> None:
    from site_src.publish.charts import MIN_FONT

    for url in ("programmes/laiwu/", "ventures/", "ventures/shunde-cantonese-opera/", "needs/", "batches/laiwu-2020-b1/"):
        sizes = [int(s) for s in re.findall(r'<text [^>]*font-size="(\d+)"', page(built, url))]
        assert sizes and min(sizes) >= MIN_FONT, url
