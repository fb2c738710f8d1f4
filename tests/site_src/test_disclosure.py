"""信息公开 rules: who may raise money, the filing in force, designated platforms, and the disclosure deadlines.

Each test changes one thing in a copy of the valid example content and checks the day it is judged on
through QINGYI_TODAY, the rules' one clock.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from site_src import disclosure
from site_src.disclosure import CLOCK_ENV, Deadline, add_months, credit_code_check_char
from site_src.errors import ContentError
from site_src.loader import Loaded
from site_src.models import Organisation, Project
from site_src.pipeline import CONTENT, check_content

from ..conftest import CONTENT_DAY
from .test_content_examples import VALID


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    out = tmp_path / "content"
    shutil.copytree(VALID, out)
    return out


def edit(root: Path, rel: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = root / rel
    first, body = path.read_text(encoding="utf-8").split("\n", 1)
    data = yaml.safe_load(body)
    change(data)
    path.write_text(first + "\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def on(monkeypatch: pytest.MonkeyPatch, day: str) -> None:
    monkeypatch.setenv(CLOCK_ENV, day)


def found(loaded: Loaded, rule: str) -> tuple[list[ContentError], list[ContentError]]:
    """(errors, warnings) of one rule."""
    r = loaded.report
    return [e for e in r.errors if e.rule == rule], [w for w in r.warnings if w.rule == rule]


# ---- the clock ------------------------------------------------------------------------

def test_the_suite_runs_on_the_day_the_content_was_brought_up_to_date() -> None:
    assert disclosure.today() == dt.date.fromisoformat(CONTENT_DAY)


def test_clock_is_a_date_reports_a_bad_qingyi_today(monkeypatch: pytest.MonkeyPatch) -> None:
    on(monkeypatch, "2026-13-01")
    day, bad = disclosure.clock()
    assert bad == "2026-13-01" and day == dt.datetime.now(disclosure.BEIJING).date()
    errors = list(disclosure.clock_is_a_date(Loaded(root=Path("."))))
    assert [e.rule for e in errors] == ["clock.today"] and "QINGYI_TODAY" in errors[0].zh


@pytest.mark.parametrize("start,months,expect", [
    ("2026-01-31", 1, "2026-02-28"), ("2028-01-31", 1, "2028-02-29"), ("2026-11-30", 3, "2027-02-28"),
    ("2026-09-15", 3, "2026-12-15"), ("2026-12-31", 12, "2027-12-31"),
])
def test_three_months_are_calendar_months(start: str, months: int, expect: str) -> None:
    assert add_months(dt.date.fromisoformat(start), months) == dt.date.fromisoformat(expect)


def test_deadline_warns_from_two_and_a_half_months_and_fails_after_three() -> None:
    d = Deadline.after(dt.date(2026, 9, 15))
    assert (d.due, d.warn_from) == (dt.date(2026, 12, 15), dt.date(2026, 11, 30))
    assert [d.state(dt.date(2026, 11, 29)), d.state(dt.date(2026, 11, 30)), d.state(dt.date(2026, 12, 15)),
            d.state(dt.date(2026, 12, 16))] == ["ok", "soon", "soon", "late"]


# ---- organisations ----------------------------------------------------------------------

def test_credit_code_check_character_follows_gb_32100() -> None:
    # A published code (Shenzhen Tencent Computer Systems) and the demo's invented ones.
    assert credit_code_check_char("91440300708461136") == "T"
    assert credit_code_check_char("53370000000000000") == "J"


def test_org_qualification_needs_a_charity(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edit(root, "organisations/league.yml",
         lambda o: o.update(fundraising_qualification={"held": True, "date": "2020-01-01", "authority": "示例民政局"}))
    errors, _ = found(check_content(root), "org.qualification")
    assert [e.field for e in errors] == ["kind"] and errors[0].file == "content/organisations/league.yml"


# ---- pledges: fundraiser, filing, platform --------------------------------------------------

def test_pledges_need_a_qualified_fundraiser_names_the_partnership_when_the_owner_has_none(root: Path) -> None:
    edit(root, "projects/cottages.yml", lambda p: p.pop("fundraising"))
    loaded = check_content(root)
    errors, _ = found(loaded, "disclosure.fundraiser")
    assert len(errors) == 1 and errors[0].field == "accepting_pledges"
    assert "示例团委没有公开募捐资格" in errors[0].zh and "work with a charity" in errors[0].en
    # The same project without pledges is fine: nothing is raised from the public.
    edit(root, "projects/cottages.yml", lambda p: p.update(accepting_pledges=False))
    assert check_content(root).report.ok


def test_pledges_need_a_fundraiser_holding_the_qualification(root: Path) -> None:
    edit(root, "organisations/federation.yml", lambda o: o.update(fundraising_qualification={"held": False}))
    errors, _ = found(check_content(root), "disclosure.fundraiser")
    assert [e.field for e in errors] == ["fundraising.fundraiser"] and "没有登记公开募捐资格" in errors[0].zh


def test_pledges_need_the_fundraisers_registration(root: Path) -> None:
    edit(root, "organisations/federation.yml", lambda o: o.pop("registration"))
    errors, _ = found(check_content(root), "disclosure.fundraiser")
    assert len(errors) == 1 and "统一社会信用代码" in errors[0].zh


def test_fundraising_cannot_start_before_the_qualification(root: Path) -> None:
    edit(root, "organisations/federation.yml",
         lambda o: o["fundraising_qualification"].update(date="2026-10-01"))
    errors, _ = found(check_content(root), "disclosure.fundraiser")
    assert [e.field for e in errors] == ["fundraising.filing.valid_from"]


def test_an_unknown_fundraiser_is_a_missing_reference(root: Path) -> None:
    edit(root, "projects/cottages.yml", lambda p: p["fundraising"].update(fundraiser="nobody"))
    assert [e.field for e in check_content(root).report.errors if e.rule == "ref.missing"] == ["fundraising.fundraiser"]


@pytest.mark.parametrize("day,verdict", [
    ("2026-08-31", "error"), ("2026-09-01", "ok"), ("2027-08-17", "ok"), ("2027-08-18", "warning"),
    ("2027-08-31", "warning"), ("2027-09-01", "error"),
])
def test_pledges_need_a_filing_in_force(root: Path, monkeypatch: pytest.MonkeyPatch, day: str, verdict: str) -> None:
    # Filed for 2026-09-01 to 2027-08-31; the updates are kept fresh so only the filing is judged.
    edit(root, "projects/cottages.yml", lambda p: p["updates"].append({"date": day, "title": "进展"}))
    on(monkeypatch, day)
    errors, warnings = found(check_content(root), "disclosure.filing")
    assert (len(errors), len(warnings)) == {"ok": (0, 0), "error": (1, 0), "warning": (0, 1)}[verdict]


def test_a_filing_cannot_end_before_it_starts(root: Path) -> None:
    edit(root, "projects/cottages.yml", lambda p: p["fundraising"]["filing"].update(valid_until="2026-08-01"))
    errors, _ = found(check_content(root), "disclosure.filing")
    assert [e.field for e in errors] == ["fundraising.filing.valid_until"] and "早于起始日期" in errors[0].zh


def test_pledges_need_a_designated_platform(root: Path) -> None:
    edit(root, "projects/cottages.yml", lambda p: p["fundraising"].update(platforms=[]))
    errors, _ = found(check_content(root), "disclosure.platform")
    assert len(errors) == 1 and "指定" in errors[0].zh


def test_a_platform_address_is_https() -> None:
    from pydantic import ValidationError

    from site_src.models.project import Platform

    with pytest.raises(ValidationError):
        Platform(name="腾讯公益", url="http://gongyi.qq.com/")


# ---- deadlines ----------------------------------------------------------------------------

@pytest.mark.parametrize("day,verdict", [("2027-01-30", "ok"), ("2027-01-31", "warning"), ("2027-02-15", "warning"),
                                         ("2027-02-16", "error")])
def test_active_projects_update_every_three_months(root: Path, monkeypatch: pytest.MonkeyPatch, day: str,
                                                   verdict: str) -> None:
    # The valid example's newest update is 2026-11-15: due 2027-02-15, warned about from 2027-01-31.
    on(monkeypatch, day)
    loaded = check_content(root)
    errors, warnings = found(loaded, "disclosure.update_due")
    assert (len(errors), len(warnings)) == {"ok": (0, 0), "warning": (0, 1), "error": (1, 0)}[verdict]
    assert loaded.report.ok == (verdict != "error")
    for e in errors + warnings:
        assert e.field == "updates[1].date" and "2027-02-15" in e.zh


def test_a_progress_report_counts_as_an_update(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edit(root, "projects/cottages.yml", lambda p: p.update(reports=[
        {"kind": "progress", "date": "2027-02-01", "title": "第一季度募捐情况"}]))
    on(monkeypatch, "2027-03-01")
    assert found(check_content(root), "disclosure.update_due") == ([], [])


def _ended(p: dict[str, Any], reports: list[dict[str, Any]] | None = None) -> None:
    p.update(status="completed", end="2026-12-31", accepting_pledges=False, reports=reports or [])


@pytest.mark.parametrize("day,verdict", [("2027-03-15", "ok"), ("2027-03-16", "warning"), ("2027-04-01", "error")])
def test_ended_projects_publish_final_report(root: Path, monkeypatch: pytest.MonkeyPatch, day: str, verdict: str) -> None:
    edit(root, "projects/cottages.yml", _ended)
    on(monkeypatch, day)
    errors, warnings = found(check_content(root), "disclosure.final_report")
    assert (len(errors), len(warnings)) == {"ok": (0, 0), "warning": (0, 1), "error": (1, 0)}[verdict]


def test_final_report_in_time_with_leftover_handling_passes_and_a_late_one_fails(
        root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    on(monkeypatch, "2028-01-01")
    final = {"kind": "final", "date": "2027-03-31", "title": "结项报告", "leftover_handling": "结余转入同类项目"}
    edit(root, "projects/cottages.yml", lambda p: _ended(p, [final]))
    assert found(check_content(root), "disclosure.final_report") == ([], [])
    edit(root, "projects/cottages.yml", lambda p: p["reports"][0].update(date="2027-04-01"))
    errors, _ = found(check_content(root), "disclosure.final_report")
    assert [e.field for e in errors] == ["reports[0].date"]


def test_final_report_says_how_much_was_left_over_when_it_forgets_the_handling(root: Path) -> None:
    edit(root, "projects/cottages.yml",
         lambda p: _ended(p, [{"kind": "final", "date": "2027-01-10", "title": "结项报告"}]))
    errors, _ = found(check_content(root), "disclosure.final_report")
    # 15,000 raised, 9,800.50 spent.
    assert len(errors) == 1 and "5199.5 元" in errors[0].zh


def test_an_ended_project_needs_its_end_date(root: Path) -> None:
    edit(root, "projects/cottages.yml", lambda p: (_ended(p), p.pop("end")))
    errors, _ = found(check_content(root), "disclosure.final_report")
    assert [e.field for e in errors] == ["status"]


# ---- warnings pass, everywhere ---------------------------------------------------------------

def test_a_warning_is_reported_but_the_content_passes_and_builds(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    on(monkeypatch, "2027-02-01")
    loaded = check_content(root)
    assert loaded.report.ok and [w.rule for w in loaded.report.warnings] == ["disclosure.update_due"]
    text = loaded.report.render(github=False)
    assert "警告：" in text and "Warning:" in text
    assert loaded.report.render(github=True).startswith("::warning file=content/projects/cottages.yml")
    # The build stops only when the report is not ok (site_src/publish/build.py): a warning builds.
    assert not loaded.report.errors


# ---- what the catalogue and the API read -------------------------------------------------------

def test_project_model_exposes_the_pledge_window(root: Path) -> None:
    p = check_content(root).of(Project)["cottages"]
    assert (p.filing_number, p.filing_valid_from, p.filing_valid_until) == (
        "DEMO-2026-0001", dt.date(2026, 9, 1), dt.date(2027, 8, 31))
    assert p.takes_pledges_on(dt.date(2026, 9, 1)) and p.takes_pledges_on(dt.date(2027, 8, 31))
    assert not p.takes_pledges_on(dt.date(2027, 9, 1)) and not p.takes_pledges_on(dt.date(2026, 8, 31))


def test_demo_content_names_the_qualified_charity_filing_and_platform_of_the_pledgeable_project() -> None:
    demo = check_content(CONTENT)
    assert demo.report.ok and not demo.report.warnings, demo.report.render()
    pledgeable = [p for p in demo.of(Project).values() if p.accepting_pledges]
    assert pledgeable
    for p in pledgeable:
        assert p.fundraising and p.fundraising.example and p.takes_pledges_on(disclosure.today())
        charity = demo.of(Organisation)[p.fundraising.fundraiser or ""]
        assert charity.may_raise_publicly and charity.registration
        assert not demo.of(Organisation)[p.owner].may_raise_publicly  # a league committee: a partnership
    ended = [p for p in demo.of(Project).values() if p.ended]
    assert ended and all(p.final_report and p.final_report.leftover_handling for p in ended)


# ---- pages: the project block and the programme's 信息公开 page ----------------------------------------

@pytest.fixture(scope="module")
def demo_site() -> Any:
    from site_src.publish.published import Published

    return Published(check_content(CONTENT))


def test_project_page_shows_filing_charity_and_platform_next_to_the_pledge_form(demo_site: Any) -> None:
    from site_src.publish.pages import Pages

    pages = Pages(demo_site)
    pages.project("laiwu-hope-cottages-2022")
    md = pages.out["projects/laiwu-hope-cottages-2022/index.md"]
    widget, block, campaigns = md.find('id="pledge-widget"'), md.find("## 募捐信息公开"), md.find("## 参与的公益日活动")
    assert 0 < widget < block < campaigns  # right after the pledge form
    section = md[block:campaigns]
    for fact in ("山东省青少年发展基金会", "具有公开募捐资格", "53370000000000000J", "DEMO-2026-0901", "合作募捐",
                 "共青团济南市莱芜区委员会没有公开募捐资格", 'href="https://gongyi.qq.com/"', "腾讯公益", "民政部指定平台",
                 "2026年9月1日至2027年8月31日（募捐期内）", "示例数据", "2027年2月20日（按期）"):
        assert fact in section, fact


def test_ended_project_page_shows_final_report_and_leftover(demo_site: Any) -> None:
    from site_src.publish.pages import Pages

    pages = Pages(demo_site)
    pages.project("laiwu-hope-cottages")
    md = pages.out["projects/laiwu-hope-cottages/index.md"]
    section = md[md.find("## 募捐信息公开"):md.find("## 参与的公益日活动")]
    assert "已于2022年3月15日公开" in section and "按账目结余 ¥389,300" in section
    assert "已入账的网络众筹没有记录备案编号" in section


def test_programme_disclosure_page_lists_filings_deadlines_entries_by_date_and_ledger(demo_site: Any) -> None:
    from site_src.publish import disclosure_pages

    out = disclosure_pages.programme_pages(demo_site, lambda pid: (f"data/ledger-{pid}.csv", f"data/ledger-{pid}.json"))
    assert set(out) == {f"disclosure/{pid}/index.md" for pid in demo_site.programmes}
    md = out["disclosure/laiwu/index.md"]
    for heading in ("## 公开募捐备案", "## 慈善组织的登记信息和公开募捐资格", "## 公开义务与期限", "## 报告与动态（按日期）",
                    "## 透明账本"):
        assert heading in md
    assert "DEMO-2026-0901" in md and "已于2022年3月15日公开" in md and "¥1,779,300" in md and "¥1,390,000" in md
    dates = [e.date for e in disclosure_pages.entries(demo_site, "laiwu")]
    assert dates == sorted(dates, reverse=True) and len(dates) >= 7
    listed = md[md.find("## 报告与动态"):]
    assert listed.find("2026年11月20日") < listed.find("2022年3月15日") < listed.find("2021年5月20日")
    assert "本计划没有记录公开募捐备案" in out["disclosure/shunde/index.md"]


def test_open_data_carries_the_filing_numbers(demo_site: Any) -> None:
    from site_src.publish.opendata import OpenData

    data = OpenData(demo_site)
    data.build()
    projects = {row["id"]: row for row in json.loads(data.files["data/projects.json"])}
    assert projects["laiwu-hope-cottages-2022"]["filing_number"] == "DEMO-2026-0901"
    assert projects["laiwu-hope-cottages-2022"]["filing_valid_until"] == "2027-08-31"
    assert projects["laiwu-hope-cottages"]["filing_number"] is None
    filings = data.files["data/filings.csv"].splitlines()
    assert filings[0].startswith("project,example,filing_number") and "53370000000000000J" in filings[1]
