"""Example records for what the bulletin does not list one by one (cottages, teams, needs, ...).

Everything written here carries ``example: true`` and shows as 示例数据 on the
site. The bulletin's own figures are reproduced exactly (138 cottages built, 65
needs claimed, 31 contest-funded, 23 venture projects in six themes); the
details (dates, townships, aliases, amounts) are invented, deterministically.

``python -m site_src.synthetic --demo content/`` rewrites the demo's example
records; the benchmark calls :func:`cottage_dict` for N synthetic cottages.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from pathlib import Path
from typing import Any

from .yamlsrc import write_record as dump

LAIWU_TOWNSHIPS = ["凤城街道", "张家洼街道", "高庄街道", "鹏泉街道", "口镇", "羊里镇", "方下镇", "牛泉镇",
                   "苗山镇", "雪野镇", "大王庄镇", "寨里镇", "杨庄镇", "茶业口镇", "和庄镇"]
LINHAI_TOWNSHIPS = ["古城街道", "大洋街道", "江南街道", "大田街道", "邵家渡街道", "杜桥镇", "上盘镇", "桃渚镇",
                    "汛桥镇", "东塍镇", "白水洋镇", "括苍镇"]
PET_NAMES = ["小雨", "小星", "小禾", "朵朵", "阿明", "小满", "乐乐", "小溪", "安安", "小树", "晨晨", "小麦",
             "甜甜", "小川", "阳阳", "小舟", "豆豆", "小鹿", "果果", "小苗"]
HOUSEHOLDS = ["registered_poor", "minimum_income", "disability", "single_parent", "orphan"]
COTTAGE_STAGES = ["identified", "screened", "visited", "approved", "scheduled", "tendered", "building",
                  "accepted", "air_checked", "in_service"]


def _stages(rng: random.Random, start: dt.date, upto: int) -> dict[str, dt.date]:
    out, day = {}, start
    for name in COTTAGE_STAGES[: upto + 1]:
        out[name] = day
        day += dt.timedelta(days=rng.randint(3, 20))
    return out


def cottage_dict(n: int, rng: random.Random, *, programme: str = "laiwu", batch: str | None = None,
                 upto: int = 9, start: dt.date = dt.date(2020, 9, 1), project: str | None = None,
                 team: str | None = None) -> dict[str, Any]:
    """One example cottage, HC-<n>, that passes every content check given its batch."""
    households = sorted(rng.sample(HOUSEHOLDS[:3], 1) + rng.sample(HOUSEHOLDS[3:], rng.randint(0, 1)))
    data: dict[str, Any] = {
        "id": f"HC-{n:03d}",
        "example": True,
        "programme": programme,
        "township": rng.choice(LAIWU_TOWNSHIPS),
        "alias": f"{rng.choice(PET_NAMES)}" if n % 3 else f"HC-{n:03d}",
        "age_band": rng.choice(["8-10", "11-12", "13-14"]),
        "household": households,
        "stages": _stages(rng, start + dt.timedelta(days=rng.randint(0, 30)), upto),
    }
    if batch:
        data["batch"] = batch
    if upto >= COTTAGE_STAGES.index("building"):
        data["cost"] = rng.randrange(8000, 12001, 100)
    if project:
        data["project"] = project
    if team:
        data["team"] = team
    if upto == 9:
        year = data["stages"]["in_service"].year
        data["activities"] = [
            {"date": dt.date(year + 1, 6, 1), "kind": "childrens_day", "note": "六一文艺汇演"},
            {"date": dt.date(year + 1, 7, 20), "kind": "summer_camp", "note": "七彩假期、逐梦成长"},
        ][: rng.randint(0, 2)]
        if rng.random() < 0.3:
            data["activities"].append({"date": dt.date(year + 1, 4, 23), "kind": "book_drift", "note": "图书漂流"})
        data["activities"].sort(key=lambda a: a["date"])
        if not data["activities"]:
            del data["activities"]
    return data


# ---- the demo's example records ------------------------------------------------

BATCHES = [  # id, name, deadline, cottages built in it, contractor
    ("laiwu-2020-b1", "2020年第一批", dt.date(2020, 12, 31), 40, "laiwu-contractor-a"),
    ("laiwu-2021-b2", "2021年第二批", dt.date(2021, 6, 30), 50, "laiwu-contractor-b"),
    ("laiwu-2021-b3", "2021年第三批", dt.date(2021, 11, 30), 48, "laiwu-contractor-a"),
    ("laiwu-2022-b4", "2022年第四批（在建）", dt.date(2022, 6, 30), 0, "laiwu-contractor-b"),
]
IN_PROGRESS = 12  # cottages on their way, in batch 4 or not yet scheduled


def _orgs(root: Path, rng: random.Random) -> dict[str, list[str]]:
    made: dict[str, list[str]] = {"branches": [], "laiwu_teams": [], "linhai_teams": [], "social": [], "applicants": []}
    for town in LAIWU_TOWNSHIPS[:8]:
        oid = f"laiwu-branch-{LAIWU_TOWNSHIPS.index(town) + 1:02d}"
        dump(root / "organisations" / f"{oid}.yml", "organisation",
             {"id": oid, "example": True, "name": f"{town}团（工）委", "kind": "league_branch", "parent": "laiwu-league"})
        made["branches"].append(oid)
    for i in range(1, 9):
        oid = f"laiwu-volunteers-{i:02d}"
        dump(root / "organisations" / f"{oid}.yml", "organisation",
             {"id": oid, "example": True, "name": f"莱芜区希望小屋青年志愿服务队第{i}队", "kind": "volunteer_team",
              "parent": "laiwu-league", "members": rng.randint(8, 30)})
        made["laiwu_teams"].append(oid)
    focuses = ["平安治理", "理论宣传", "文明实践", "便民助困"]
    for i in range(1, 13):
        oid = f"linhai-team-{i:03d}"
        town = LINHAI_TOWNSHIPS[(i - 1) % len(LINHAI_TOWNSHIPS)]
        dump(root / "organisations" / f"{oid}.yml", "organisation",
             {"id": oid, "example": True, "name": f"{town}{focuses[i % 4]}志愿服务队", "kind": "volunteer_team",
              "parent": "linhai-volunteer-association", "focus": focuses[i % 4], "members": rng.randint(10, 60)})
        made["linhai_teams"].append(oid)
    for i, name in enumerate(["应急救援", "心理健康", "法律服务", "助老服务", "青少年成长", "社区营造"], 1):
        oid = f"linhai-social-{i}"
        dump(root / "organisations" / f"{oid}.yml", "organisation",
             {"id": oid, "example": True, "name": f"临海市{name}志愿服务中心", "kind": "social_organisation",
              "registered": 2021, "focus": name})
        made["social"].append(oid)
    return made


def _batches(root: Path) -> None:
    for bid, name, deadline, _, contractor in BATCHES:
        done = deadline < dt.date(2022, 1, 1)
        milestones = [("确定名单", 120), ("招标", 95), ("开工", 80), ("完工", 20), ("验收", 10), ("环境检测", 0)]
        schedule = []
        for mname, back in milestones:
            due = deadline - dt.timedelta(days=back)
            item: dict[str, Any] = {"name": mname, "due": due}
            if done:
                item["done"] = due - dt.timedelta(days=2)
            schedule.append(item)
        data: dict[str, Any] = {
            "id": bid, "example": True, "programme": "laiwu", "name": name, "deadline": deadline,
            "schedule": schedule, "contractor": contractor, "supervisor": "laiwu-supervisor",
            "tender": {"agent": "laiwu-tender-agent", "opened": deadline - dt.timedelta(days=100),
                       "awarded": deadline - dt.timedelta(days=95), "winner": contractor, "amount": 400000,
                       "bidders": 4},
            "checks": ["施工单位资质审查", "施工过程检查", "家具质量检查", "全程监理"],
        }
        if done:
            data["acceptance"] = {"date": deadline - dt.timedelta(days=10), "by": "laiwu-supervisor",
                                  "result": "passed", "note": "监理单位逐户验收"}
            data["air_quality"] = {"date": deadline - dt.timedelta(days=2), "lab": "laiwu-air-lab",
                                   "result": "passed", "formaldehyde_mg_m3": "0.05"}
        dump(root / "batches" / f"{bid}.yml", "batch", data)


def _cottages(root: Path, rng: random.Random, teams: list[str]) -> dict[str, int]:
    n, cost_by_batch = 0, {}
    for bid, _, deadline, count, _ in BATCHES:
        total = 0
        for _ in range(count):
            n += 1
            data = cottage_dict(n, rng, batch=bid, start=deadline - dt.timedelta(days=200),
                                project="laiwu-hope-cottages", team=teams[n % len(teams)])
            # Stage dates must sit inside the batch's own acceptance and air check.
            st = data["stages"]
            st["accepted"], st["air_checked"] = deadline - dt.timedelta(days=10), deadline - dt.timedelta(days=2)
            st["in_service"] = deadline + dt.timedelta(days=rng.randint(1, 20))
            for k in COTTAGE_STAGES[:7]:
                st[k] = min(st[k], deadline - dt.timedelta(days=11 + 7 - COTTAGE_STAGES.index(k)))
            total += data["cost"]
            dump(root / "cottages" / f"{data['id']}.yml", "cottage", data)
        cost_by_batch[bid] = total
    for i in range(IN_PROGRESS):
        n += 1
        upto = [1, 2, 3, 4, 5, 6][i % 6]
        data = cottage_dict(n, rng, upto=upto, start=dt.date(2021, 12, 1),
                            batch="laiwu-2022-b4" if upto >= 4 else None)
        dump(root / "cottages" / f"{data['id']}.yml", "cottage", data)
    return cost_by_batch


def _laiwu_project(root: Path, cost_by_batch: dict[str, int]) -> None:
    report = dt.date(2021, 12, 23)
    data = {
        "id": "laiwu-hope-cottages", "programme": "laiwu", "name": "共建莱芜希望小屋",
        "summary": "为困境儿童改造一间属于自己的学习生活小屋。",
        "description": "三条渠道筹款，分批建设，建成后志愿者每月至少走访一次。各笔支出按建设批次列示（示例金额）。",
        "owner": "laiwu-league", "goal": 1800000, "status": "in_progress", "start": dt.date(2020, 6, 1),
        "stated_raised": 1779300,
        "funding": [
            {"channel": "enterprise", "amount": 260600, "date": report, "note": "爱心企业捐赠，公报未列明企业名单"},
            {"channel": "foundation", "amount": 520200, "date": report, "donor": "laiwu-youth-federation",
             "via": "shandong-youth-foundation", "note": "莱芜籍青年企业家、青联委员经省青少年发展基金会捐赠"},
            {"channel": "online", "amount": 998500, "date": report,
             "note": "99公益日、520公益日“共建莱芜希望小屋”网络众筹合计（公报未分列）"},
        ],
        "uses": [{"date": d, "purpose": f"{name}希望小屋改造（示例金额）", "amount": cost_by_batch[bid],
                  "payee": contractor, "batch": bid}
                 for bid, name, d, count, contractor in BATCHES if count],
        "updates": [
            {"date": dt.date(2021, 5, 20), "title": "520公益日网络众筹上线", "body": "基层团组织和少先队组建网上战队参与筹款。"},
            {"date": dt.date(2021, 9, 9), "title": "99公益日众筹结束", "body": "网上战队为项目争取到更多配捐额度。"},
            {"date": report, "title": "已建成希望小屋138间", "body": "三渠道合计筹款177.93万元。"},
        ],
        "tags": ["希望小屋", "困境儿童", "网络众筹"],
    }
    dump(root / "projects" / "laiwu-hope-cottages.yml", "project", data)


def _teams(root: Path, rng: random.Random, branches: list[str]) -> None:
    names = ["星火", "追梦", "向阳", "红领巾", "青春", "同心", "暖阳", "启航"]
    for i, branch in enumerate(branches):
        demo = i < 6
        tid = f"team-{i + 1:02d}"
        dump(root / "teams" / f"{tid}.yml", "team", {
            "id": tid, "example": True, "name": f"{names[i]}战队", "parent": branch,
            "project": "laiwu-hope-cottages-2022" if demo else "laiwu-hope-cottages",
            "campaign": "laiwu-demo" if demo else "laiwu-99-2021",
            "captain_alias": f"队长{i + 1:02d}", "target": rng.choice([5000, 10000, 20000]),
        })


NEED_TOPICS = [("家政", "为独居老人做家务整理"), ("心理疏导", "为留守儿童开展心理陪伴"), ("医疗保健", "社区义诊和健康讲座"),
               ("安全巡逻", "夜间平安巡逻"), ("法律援助", "社区法律咨询"), ("理论宣传", "青年理论宣讲进村"),
               ("文明实践", "垃圾分类宣传"), ("便民助困", "困难家庭结对帮扶"), ("应急救援", "防汛应急演练")]


def _needs(root: Path, rng: random.Random, teams: list[str]) -> None:
    claimed, contest, extra = 65, 31, 7
    for i in range(claimed + extra):
        nid = f"need-{i + 1:03d}"
        cat, what = NEED_TOPICS[i % len(NEED_TOPICS)]
        town = LINHAI_TOWNSHIPS[i % len(LINHAI_TOWNSHIPS)]
        start = dt.date(2021, 1, 10) + dt.timedelta(days=4 * i)
        stages: dict[str, dt.date] = {"need": start}
        is_claimed = i < claimed
        upto = (2 + i % 3) if is_claimed else (1 if i % 2 else 0)
        for k, name in enumerate(["published", "claimed", "undertaken", "summarised"][:upto], 1):
            stages[name] = start + dt.timedelta(days=7 * k)
        data: dict[str, Any] = {
            "id": nid, "example": True, "programme": "linhai", "title": f"{town}{what}",
            "description": f"{town}提出的{cat}类志愿服务需求：{what}。", "category": cat,
            "where": {"township": town, "community": f"{town}第{i % 5 + 1}社区", "grid": f"第{i % 9 + 1}网格"},
            "skills": [cat], "volunteers_needed": rng.randint(3, 12),
            "claim_opens": stages.get("published", start),
            # Needs still open for claiming keep their window open for the local demo.
            "claim_closes": start + dt.timedelta(days=30) if is_claimed else dt.date(2099, 12, 31),
            "stages": stages,
        }
        if is_claimed:
            data["claimed_by"] = teams[i % len(teams)]
        if upto == 4:
            data["summary"] = f"服务队完成{what}，服务{rng.randint(20, 200)}人次。"
        if i < contest:
            data["contest_funded"] = True
        dump(root / "needs" / f"{nid}.yml", "need", data)


THEMES = ["thought_guidance", "youth_venues", "rural_revitalisation", "cultural_creative", "leader_training",
          "volunteer_service"]
NAMED_VENTURES = [
    ("shunde-mock-court", "模拟法庭进基层", "thought_guidance", "顺德区青年法律志愿服务队",
     "以模拟法庭把法治教育送进村居和学校周边社区，全年开展10场、覆盖4000余人次。", {"sessions": 10, "attendance": 4000,
                                                                  "attendance_approx": "at_least"}),
    ("shunde-cantonese-opera", "梨园——千娇百媚", "cultural_creative", "顺德区粤剧志愿者协会",
     "粤剧社志愿老师为孩子免费开设粤剧课堂。", None),
    ("shunde-youth-cafe", "青咖驿站", "youth_venues", "顺德区青咖驿站联盟",
     "在书店建立青年咖啡联盟，以“小奋青”形象为团员提供会员优惠。", None),
]


def _ventures(root: Path, rng: random.Random) -> None:
    rows = list(NAMED_VENTURES)
    for i in range(len(rows), 25):
        theme = THEMES[i % len(THEMES)]
        rows.append((f"shunde-venture-{i + 1:02d}", f"青年益创项目{i + 1:02d}", theme, f"顺德区青年社会组织{i + 1:02d}",
                     "示例项目：公报只公布了项目总数和主题。", None))
    for i, (vid, title, theme, applicant_name, summary, outcomes) in enumerate(rows):
        aid = f"{vid}-applicant"
        dump(root / "organisations" / f"{aid}.yml", "organisation",
             {"id": aid, "example": True, "name": applicant_name, "kind": "social_organisation", "region": "广东省佛山市顺德区"})
        selected = i < 23
        base = dt.date(2021, 3, 1)
        stages = {"call": base, "review": base + dt.timedelta(days=40)}
        requested = rng.randrange(30000, 80001, 1000)
        data: dict[str, Any] = {
            "id": vid, "example": True, "programme": "shunde", "title": title, "applicant": aid, "theme": theme,
            "summary": summary, "requested": requested, "year": 2021,
            "scores": [{"reviewer": f"评审{r}", "public_benefit": rng.randint(70, 98), "innovation": rng.randint(65, 95),
                        "sustainability": rng.randint(60, 95)} for r in "ABC"],
        }
        if selected:
            stages.update({"public_notice": base + dt.timedelta(days=50), "selection": base + dt.timedelta(days=58),
                           "execution": base + dt.timedelta(days=70)})
            if i % 4 != 3:
                stages["midterm"] = dt.date(2021, 8, 15)
                data["midterm_result"] = "中期评估合格"
            if i % 4 == 0:
                stages["supervision"] = dt.date(2021, 11, 20)
                data["supervision_notes"] = "团区委组织督导，项目按计划推进。"
            data["granted"] = requested - rng.randrange(0, 10001, 1000)
            data["notice"] = {"start": stages["public_notice"], "end": stages["public_notice"] + dt.timedelta(days=6),
                              "days": 7, "objections_to": "公示期内向共青团佛山市顺德区委员会书面反映（示例）"}
        data["stages"] = stages
        if outcomes:
            data["outcomes"] = outcomes
        dump(root / "venture_projects" / f"{vid}.yml", "venture_project", data)


def write_demo(root: Path) -> None:
    rng = random.Random(20211223)
    made = _orgs(root, rng)
    _batches(root)
    cost = _cottages(root, rng, made["laiwu_teams"])
    _laiwu_project(root, cost)
    _teams(root, rng, made["branches"])
    _needs(root, rng, made["linhai_teams"])
    _ventures(root, rng)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", type=Path, required=True, help="content folder to write the example records into")
    write_demo(parser.parse_args().demo)
