"""Privacy lint: keep children's and volunteers' personal data out of what we publish.

Cottage records describe children (README.md "For editors"; the editors' guide, 隐私): the public sees an
alias, an age band and the township, never a name, an exact address, an ID
number, a phone number, a school or a located photo. This module finds such
data in any text (YAML, Markdown, CSV, JSON, built HTML) and in images, and
reports each finding as a :class:`~site_src.errors.ContentError` with file,
line and column, in Chinese and English, with a fix.

Rules (``ContentError.rule``):

``privacy.id_number``
    Mainland resident ID: 18 characters (17 digits + digit or X, optionally
    grouped 6-8-4 with one space or dash) whose ISO 7064 MOD 11-2 check digit
    is right, whose first digit (region) is 1-8 and whose birth date
    (YYYYMMDD) is a real date between 1900-01-01 and today. Also the old
    15-digit form (region 1-8, real date YYMMDD in positions 7-12). Near misses
    pass: wrong check digit, 17 or 19 digits, digits inside a longer run.
``privacy.phone``
    Mainland mobile 1[3-9]X XXXX XXXX, optionally +86/0086/86/(+86), groups
    optionally split by one space or dash.
``privacy.landline``
    Area code 010, 02X or 0XXX (optionally in brackets) then a 7-8 digit
    local number: 0634-1234567, (0757)22223333, 0757 2222 3333.
``privacy.email``
    An e-mail address is personal unless (a) its domain is a documentation
    placeholder (example.com/.org/.net, *.example, *.test, *.invalid,
    *.localhost), or (b) its mailbox is an office mailbox: the first token of
    the local part (split on ``. _ - +``, trailing digits dropped) is a role
    word from :data:`OFFICE_MAILBOXES` (info, contact, office, tuanwei, ...)
    AND the domain is not a personal mail provider
    (:data:`PERSONAL_MAIL_DOMAINS`: qq.com, 163.com, gmail.com, ...).
    So ``info@qzyouth.org.cn`` passes, ``zhang.wei@qzyouth.org.cn`` and
    ``office@163.com`` do not (waive the latter with a reason if it really is
    an organisation's public mailbox).
``privacy.address``
    Finer than township: 门牌 + number; N号楼; N单元 (not 第N单元); a room
    number NNN室 (3+ digits, or 1-302室); N号 after 路/街/大道/巷/胡同/弄/小区
    (not after 街道/社区/村, where N号 is usually a date: 街道12号开会); N弄;
    村N组; N号院; 栋/幢/座 with a letter (A栋) or followed by another number
    (5栋302). Township names (张家洼街道, 方下镇, 寨里镇) pass.
``privacy.school`` (only with ``cottage=True``)
    A school named: 小学/中学/初中/高中/学校/幼儿园/学院/完小/中心校/教学点
    directly after a Han character that is not a common verb or function word
    (上小学, 读初中, 在学校, 一名中学生 pass; 实验小学, 方下镇中学 do not).
``privacy.name_in_alias``
    :func:`scan_alias`: an alias whose Han-character part is 2-4 characters,
    starts with a common surname (:data:`SURNAMES`, :data:`COMPOUND_SURNAMES`)
    and is not a pet name 小X, 阿X or a repeated XX. 小雨, 阿明, 朵朵, HC-013
    pass; 王小雨, 欧阳娜娜, 张伟 do not.
``privacy.child_name`` (with ``children=True``: files of kinds that describe children)
    A person's name in free text about a child: "张小明在六一文艺汇演上表演了诗朗诵" in an activity
    note, "李思琪（9岁）" in a need. A candidate is a word jieba's part-of-speech tagger marks as a
    person's name (``nr``) that starts with a common surname (:data:`SURNAMES`), or a surname + one
    or two Han characters right next to a child word (``李思琪（9岁）``, ``陈静同学``, ``小朋友刘洋洋``).
    It is refused when its sentence speaks of a child (:data:`CHILD_CUES`: an age 9岁, 同学, 小朋友,
    孩子, 儿童, 学生 ...) or, in a cottage file (``cottage=True``), anywhere: the whole record is about
    one child. It passes when it is a pet name (小雨, 阿明, 朵朵), masked (王某, 李×), a place (邵家渡街道,
    朱家村) or an adult named with a public role right before or after it (团县委书记王建国, 王建国书记:
    :data:`PUBLIC_ROLES`). Anything else an editor knows to be an adult's public name is waived in the
    file with a reason. YAML comments and ``alias:`` lines (``privacy.name_in_alias``) are not read.
``privacy.gps_exif``
    :func:`scan_image`: a JPEG/PNG/WebP/TIFF whose EXIF has a GPS IFD with
    any tag, or whose XMP mentions GPSLatitude/GPSLongitude. An image Pillow
    cannot read is reported under the same rule (it cannot be checked).
``privacy.waiver``
    A waiver without a reason, or naming an unknown rule.

Waivers: a false positive is waived in the file itself, on the finding's line
or in a comment line of its own directly above, by ``# privacy-ok: <rule> <reason>`` or
``<!-- privacy-ok: <rule> <reason> -->``; ``<rule>`` is the suffix
(``landline``) or the full id (``privacy.landline``), several joined by
commas. A waiver for another rule does not waive; an invalid waiver (no reason,
unknown rule) waives nothing and is itself a ``privacy.waiver`` error. Waived
findings come back as :class:`~site_src.errors.Waiver` objects for the build to
print.

Numbers: "inside a longer run" means next to another digit or ASCII letter
(hashes, order numbers, HC13812345678X) or part of a decimal (0.138...).
Full-width digits (１３８…) count as digits. Where two findings overlap, the
first in the order e-mail, ID, phone, landline, address, school is kept
(13812345678@163.com is one e-mail finding). Consecutive address parts
(路12号3号楼2单元302室) are one finding. Numbers in messages are masked (first
three and last two digits kept: 138******78) so CI logs do not repeat them.

Entry points: :func:`scan_text` (one text), :func:`scan_source` (the same with
YAML alias lines and waivers carried over from sources into built HTML),
:func:`scan_alias`, :func:`apply_waivers` (waivers for findings made
elsewhere), :func:`scan_image`, :func:`scan_tree` (a folder).

Performance: precompiled patterns, each one pass over the whole text, no
per-character Python loops; positions are turned into lines only when
something is found. Measured: ~45 us per small YAML file, ~30 ns per character
of built Material HTML.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import io
import os
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ContentError, Waiver
from .loader import walk

# --------------------------------------------------------------------------- rule ids

ID_NUMBER = "privacy.id_number"
PHONE = "privacy.phone"
LANDLINE = "privacy.landline"
EMAIL = "privacy.email"
ADDRESS = "privacy.address"
SCHOOL = "privacy.school"
NAME_IN_ALIAS = "privacy.name_in_alias"
CHILD_NAME = "privacy.child_name"
GPS_EXIF = "privacy.gps_exif"
WAIVER = "privacy.waiver"

RULES = (ID_NUMBER, PHONE, LANDLINE, EMAIL, ADDRESS, SCHOOL, NAME_IN_ALIAS, CHILD_NAME, GPS_EXIF, WAIVER)
# Rules a waiver comment may name (a waiver cannot waive a bad waiver).
WAIVABLE = frozenset(r.split(".", 1)[1] for r in RULES if r != WAIVER)

TEXT_SUFFIXES = frozenset(
    {".yml", ".yaml", ".md", ".markdown", ".html", ".htm", ".csv", ".tsv", ".json", ".txt", ".xml", ".svg"}
)
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff"})
#: Content folders whose records describe children: their free text gets the child-name rule.
CHILDREN_FOLDERS = frozenset({"cottages", "needs", "projects", "venture_projects", "programmes"})

# --------------------------------------------------------------------------- shared pieces


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Speed (measured on built HTML): Python's regex engine finds a pattern's leading
# *literal* about ten times faster than a leading character class, and every start
# it tries costs a few hundred nanoseconds. So patterns start with a literal where
# they can ("1", "0", "86", "@", "路"), lookbehinds come after the cheapest test,
# and words are found first and their numbers read backwards in code.
# Editors typing Chinese produce full-width digits (０-９): find() maps them to
# ASCII one character for one, so positions do not move.
_FULL_WIDTH_CHARS = "０１２３４５６７８９＋＠"
_TO_ASCII = str.maketrans("０１２３４５６７８９Ｘｘ＋＠", "0123456789Xx+@")
_E = r"(?![\dA-Za-z])(?!\.\d)"  # not followed by more digits/letters or ".5"
_S = "[ \u3000\\-－–—]"  # one separator between digit groups
_HAN = "\u4e00-\u9fff"
_CN_NUM = "一二三四五六七八九十百零〇两"
_NUM = rf"(?:\d+|[{_CN_NUM}]+)"
_HAN_MIN, _HAN_MAX = "\u4e00", "\u9fff"

# --------------------------------------------------------------------------- ID numbers

# 18 characters (region, YYYYMMDD, sequence, check; optionally grouped 6-8-4) or the old 15 digits (YYMMDD).
_ID = re.compile(
    r"(?P<r>[1-8]\d{5})(?<![\dA-Za-z]\d{6})(?<!\d\.\d{6})"
    rf"(?:(?P<s>{_S}?)(?P<b>(?:19|20)\d{{6}})(?P=s)(?P<t>\d{{3}}[\dXx])|(?P<b15>\d{{6}})\d{{3}}){_E}"
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of a resident ID's first 17 digits."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def _plausible_birth(year: int, month: int, day: int) -> bool:
    try:
        born = _dt.date(year, month, day)
    except ValueError:
        return False
    return _dt.date(1900, 1, 1) <= born <= _dt.date.today()


def _id_ok(m: re.Match[str]) -> bool:
    birth = m.group("b")
    if birth is None:  # old 15-digit form: no check digit, born 19YY
        b15 = m.group("b15")
        return _plausible_birth(1900 + int(b15[:2]), int(b15[2:4]), int(b15[4:]))
    if not _plausible_birth(int(birth[:4]), int(birth[4:6]), int(birth[6:])):
        return False
    tail = m.group("t")
    return id_check_char(m.group("r") + birth + tail[:3]) == tail[3].upper()


# --------------------------------------------------------------------------- phones

_PHONE = re.compile(rf"1(?<![\dA-Za-z+]1)(?<!\d\.1)(?P<a>[3-9]\d){_S}?(?P<b>\d{{4}}){_S}?(?P<c>\d{{4}}){_E}")
# From the country code: "86" then, in code, what stands before it (+86, 0086, (+86), （86）).
_PHONE_CC = re.compile(rf"86(?P<close>[)）]?){_S}?1(?P<a>[3-9]\d){_S}?(?P<b>\d{{4}}){_S}?(?P<c>\d{{4}}){_E}")


def _phone_cc_start(text: str, at: int, close: str) -> int | None:
    """Where a +86 / 0086 / 86 / (+86) / （86） prefix starts, given the position of its "86"."""
    if close:
        start = at - 1 if at > 0 and text[at - 1] == "+" else at
        opening = "(" if close == ")" else "（"
        return start - 1 if start > 0 and text[start - 1] == opening else None
    if at > 0 and text[at - 1] == "+":
        start = at - 1
    elif text[max(0, at - 2) : at] == "00":
        start = at - 2
    else:
        start = at  # a bare 86 (8613812345678), as exported from some apps
    before = text[max(0, start - 2) : start]
    if (before[-1:].isascii() and before[-1:].isalnum()) or (before[-1:] == "." and before[:1].isdigit()):
        return None  # inside a longer run, or a decimal
    return start


_AREA = r"(?:10|2\d|[3-9]\d\d)"
_LOCAL = rf"[1-9]\d{{2,3}}{_S}?\d{{4}}{_E}"
_LANDLINE = re.compile(rf"0(?<![\dA-Za-z]0)(?<!\d\.0){_AREA}{_S}?{_LOCAL}")
_LANDLINE_BRACKETS = {  # run only when the bracket occurs at all
    "(": re.compile(rf"\(0{_AREA}\){_S}?{_LOCAL}"),
    "（": re.compile(rf"（0{_AREA}）{_S}?{_LOCAL}"),
}

# --------------------------------------------------------------------------- e-mail

# Found from the "@": the domain by regex, the mailbox by reading backwards (bounded).
_EMAIL_DOMAIN = re.compile(r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}(?![A-Za-z0-9\-])")
_MAILBOX_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")


def _emails(text: str) -> Iterable[tuple[int, int]]:
    for m in _EMAIL_DOMAIN.finditer(text):
        at = m.start()
        start = at
        while start > 0 and at - start < 64 and text[start - 1] in _MAILBOX_CHARS:
            start -= 1
        while start < at and not text[start].isalnum():
            start += 1
        if start < at:
            yield start, m.end()
OFFICE_MAILBOXES = _words(
    """info contact contactus office admin service services support help hello enquiry enquiries
    press media news pr hr jobs job career careers recruit zhaopin tuanwei tuanshiwei tuanqu gqt youth
    gongyi charity volunteer volunteers zhiyuan zhiyuanzhe zyz zyzxh donate donation donations juanzeng
    webmaster postmaster noreply no-reply feedback secretariat mishuchu bangongshi jubao tousu xinfang
    editor editors bianji kefu fund jijinhui foundation project projects xiangmu hope xiwang xiwangxiaowu
    cishan cszh finance caiwu"""
)
PERSONAL_MAIL_DOMAINS = _words(
    """qq.com vip.qq.com foxmail.com 163.com vip.163.com 126.com yeah.net 188.com sina.com sina.cn
    vip.sina.com sohu.com 139.com 189.cn wo.cn aliyun.com tom.com 21cn.com 263.net gmail.com
    googlemail.com outlook.com hotmail.com live.com live.cn msn.com yahoo.com yahoo.com.cn icloud.com
    me.com mac.com protonmail.com proton.me yandex.com mail.com gmx.com aol.com"""
)
_PLACEHOLDER_DOMAINS = ("example.com", "example.org", "example.net")
_PLACEHOLDER_TLDS = ("example", "test", "invalid", "localhost")
# "logo@2x.png" is a file name, not an address.
_FILE_TLDS = _words("png jpg jpeg gif svg webp css js json yml yaml md html htm pdf ico avif")


def email_is_personal(address: str) -> bool:
    """The e-mail rule (see the module docstring): True when ``address`` must not be published."""
    local, _, domain = address.lower().rpartition("@")
    tld = domain.rsplit(".", 1)[-1]
    if tld in _FILE_TLDS:
        return False
    if domain in _PLACEHOLDER_DOMAINS or domain.endswith(tuple("." + d for d in _PLACEHOLDER_DOMAINS)):
        return False
    if tld in _PLACEHOLDER_TLDS:
        return False
    if domain in PERSONAL_MAIL_DOMAINS or any(domain.endswith("." + d) for d in PERSONAL_MAIL_DOMAINS):
        return True
    token = local if local in OFFICE_MAILBOXES else re.split(r"[._+\-]", local, maxsplit=1)[0].rstrip("0123456789")
    return token not in OFFICE_MAILBOXES


# --------------------------------------------------------------------------- addresses

# Each address word is its own pattern starting with a literal; the number before it
# (3号楼, 302室) is read backwards in code, since digits are everywhere (dates) and
# these words are rare.
_ROAD_NO = rf"{_S}?\d+(?:[\-－之]\d+)?[ \u3000]?号"
_ADDR_AFTER_NUMBER = [re.compile(w) for w in ("号楼", "号院", "单元", "室")]  # 3号楼, 8号院, 2单元, 302室
_ADDR_WHOLE = [  # the match is the address part: 门牌12, 路12号, 村3组
    re.compile(p)
    for p in (
        r"门牌(?:号码?)?[ \t:：]*\d+",
        *(w + _ROAD_NO for w in ("路", "街", "大道", "巷", "胡同", "小区")),
        rf"村{_NUM}组",
    )
]
_ADDR_LANE = re.compile(rf"弄(?:{_ROAD_NO})?")  # 123弄, 弄5号
_ADDR_BUILDING = [re.compile(rf"{w}(?:{_S}?\d+室?)?") for w in "栋幢座"]  # A栋, 5栋302
_NUMBER_CHARS = frozenset("0123456789-－" + _CN_NUM)
_ADDR_LEADS = "".join(sorted({rx.pattern[0] for rx in (*_ADDR_AFTER_NUMBER, *_ADDR_WHOLE, _ADDR_LANE, *_ADDR_BUILDING)}))


def _number_before(text: str, end: int, word: str) -> int | None:
    """Where the number right before an address word starts, or None when it is not an address number."""
    start = end
    while start > 0 and end - start < 16 and text[start - 1] in _NUMBER_CHARS:
        start -= 1
    while start < end and text[start] in "-－":
        start += 1
    num = text[start:end]
    if not num or num[-1] in "-－" or num.count("-") + num.count("－") > 1:
        return None
    if start > 0 and text[start - 1].isascii() and text[start - 1].isalnum():
        return None  # part of a code: HC-013室 is not a room
    plain = num.replace("-", "").replace("－", "")
    if word in ("号楼", "单元"):  # 3号楼, 十二号楼, 二单元; not 第三单元 (a lesson)
        if plain != num or (any(c.isdigit() for c in num) and not num.isdigit()):
            return None
        return None if word == "单元" and start > 0 and text[start - 1] == "第" else start
    if not plain.isdigit():
        return None
    if word == "室":  # a room: 302室, 1-302室; not 3室1厅
        return start if len(num) >= 3 or plain != num else None
    return start if plain == num else None


def _address_parts(text: str) -> list[tuple[int, int]]:
    # A one-character `in` test is far cheaper than a regex pass: skip the words absent here.
    present = {c for c in _ADDR_LEADS if c in text}
    if not present:
        return []
    parts: list[tuple[int, int]] = []
    for rx in _ADDR_AFTER_NUMBER:
        if rx.pattern[0] not in present:
            continue
        for m in rx.finditer(text):
            start = _number_before(text, m.start(), m.group(0))
            if start is not None:
                parts.append((start, m.end()))
    for rx in _ADDR_WHOLE:
        if rx.pattern[0] in present:
            parts.extend(m.span() for m in rx.finditer(text))
    for m in _ADDR_LANE.finditer(text) if "弄" in present else ():
        start = _number_before(text, m.start(), "弄")
        if start is not None:
            parts.append((start, m.end()))
        elif m.end() - m.start() > 1:
            parts.append(m.span())
    for rx in _ADDR_BUILDING:
        if rx.pattern[0] not in present:
            continue
        for m in rx.finditer(text):
            at = m.start()
            if at > 0 and text[at - 1].isascii() and text[at - 1].isalpha() and not (
                at > 1 and text[at - 2].isascii() and text[at - 2].isalpha()
            ):
                parts.append((at - 1, m.end()))  # A栋, B座1203
            elif m.end() - at > 1:
                start = _number_before(text, at, m.group(0)[0])
                if start is not None:
                    parts.append((start, m.end()))  # 5栋302
    return parts


# --------------------------------------------------------------------------- schools (cottage files)

# A school word right after one of these characters is a phrase (上小学, 在学校,
# 一名中学生), not a school's name.
_SCHOOL_STOP = "上读在念进入到去回升离出的个所家各该本此其和与及或是为从了前后名位等就转考于向近地里好些附当大中小初高你我他她它们"
# One pass (cottage files are small): 小学 中学 初中 高中 学校 幼儿园 幼稚园 学院 完小 中心校 教学点.
_SCHOOL = re.compile("小学|中学|初中|高中|学校|幼儿园|幼稚园|学院|完小|中心校|教学点")
_SCHOOL_EN = re.compile(r"\b[A-Z][a-z]+ (?:Primary|Middle|High) School|\b[A-Z][a-z]+ Kindergarten")


def _names_school(text: str, start: int) -> bool:
    """A school word names a school when a Han character that is not a verb/function word precedes it."""
    if start == 0:
        return False
    before = text[start - 1]
    return _HAN_MIN <= before <= _HAN_MAX and before not in _SCHOOL_STOP


# --------------------------------------------------------------------------- aliases

# The most common single-character surnames (167, covering the top 120 and more) and compound ones.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩邓冯曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈"
    "钟姜崔谭陆范汪廖石金韦贾夏付傅方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤康易"
    "乔赖文施洪辛柴牛温芦季葛鲁樊兰殷詹章关庞申聂颜倪耿岳左牟靳裴齐单景邢俞房滕梅祝纪舒包柳宁涂鲍谷焦褚卫车艾"
    "伍管甘柯邬凌蒲苗谈晏宫"
)
COMPOUND_SURNAMES = _words(
    """欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 令狐 长孙 宇文 司徒 司空 夏侯 轩辕 端木 独孤 南宫 西门
    呼延 澹台 万俟 闻人 赫连 申屠 百里 东郭 太史 钟离 宗政 濮阳 淳于 拓跋 完颜 耶律"""
)
_ALIAS_NOTE = re.compile(r"[(（][^)）]*[)）]")  # 小雨（化名）
_HAN_RUN = re.compile(f"[{_HAN}]+")


def alias_surname(alias: str) -> str | None:
    """The surname an alias starts with when it looks like surname + given name, else None."""
    text = re.sub(r"[\s·•・]", "", _ALIAS_NOTE.sub("", alias))
    for run in _HAN_RUN.findall(text):
        if not 2 <= len(run) <= 4:
            continue
        if run[0] in "小阿" or (len(run) == 2 and run[0] == run[1]):
            continue
        if run[:2] in COMPOUND_SURNAMES and len(run) >= 3:
            return run[:2]
        if run[0] in SURNAMES:
            return run[0]
    return None


# --------------------------------------------------------------------------- children's names in free text

#: Words that make a sentence speak of a child (an age is found by pattern: 9岁, 十二岁).
CHILD_CUES = (
    "同学", "小朋友", "孩子", "儿童", "学生", "少年", "女孩", "男孩", "女童", "男童", "留守", "小屋主人",
    "受助", "患儿", "孤儿", "学童", "宝宝", "娃", "六一", "年级", "小伙伴", "小屋",
)
_AGE = re.compile(rf"(?:\d{{1,2}}|[{_CN_NUM}]{{1,3}})周?岁")
_CHILD_CUE = re.compile("|".join(CHILD_CUES) + "|" + _AGE.pattern)
#: Adults named in their public role pass: the role right before or right after the name.
PUBLIC_ROLES = (
    "书记", "主任", "部长", "县长", "区长", "市长", "局长", "镇长", "乡长", "理事长", "会长", "秘书长", "主席",
    "委员", "处长", "科长", "站长", "所长", "院长", "董事长", "总经理", "经理", "总监", "专家", "教授", "律师",
    "医生", "记者", "代表", "负责人", "队长", "馆长", "社长", "厂长", "老总", "先生", "女士",
)
_ROLE_BEFORE = re.compile("(?:" + "|".join(PUBLIC_ROLES) + ")$")
_ROLE_AFTER = re.compile("(?:" + "|".join(PUBLIC_ROLES) + ")")
# A surname word followed (directly or after one more character) by one of these is a place, not a
# person: 邵家渡街道, 朱家村, 白水|洋镇 (jieba cuts 白水 out of 白水洋镇).
_PLACE_AFTER = re.compile(f"[{_HAN}]?(?:街道|镇|乡|村|县|区|市|社区|路|街|庄|屯|湾|河|山|湖|江|桥|寨|堡|营|沟|岭)")
_PLACE_END = frozenset("村镇乡县区市庄屯湾河山湖江桥寨堡营店沟岭家")
# Strong local evidence, no segmenter needed: surname + 1-2 Han right before an age in brackets or a
# child word, or right after 小朋友/同学/孩子.
_NAME_BEFORE_CUE = re.compile(rf"(?P<name>[{_HAN}]{{2,4}}?)(?=[（(]\s*{_AGE.pattern}|同学|小朋友)")
_NAME_AFTER_CUE = re.compile(rf"(?:小朋友|同学|孩子|学生|儿童)(?P<name>[{_HAN}]{{2,3}})(?=[，,。、；;！？!?\s和与在是参获的（(]|$)")
_SENTENCE = re.compile(r"[^。！？!?\n]+")
_MASKS = frozenset("某×XxＸ*＊")
# 李老师, 王阿姨, 张叔叔, 李姐: a form of address, not a full name.
_ADDRESS_FORMS = ("老师", "阿姨", "叔叔", "伯伯", "奶奶", "爷爷", "大爷", "大妈", "大娘", "妈妈", "爸爸", "哥哥",
                  "姐姐", "师傅", "书记", "主任", "同学")
_ADDRESS_CHARS = frozenset("总工姨叔伯爷奶哥姐妈爸婶嫂家氏")


def _surname_of(name: str) -> str | None:
    if name[:2] in COMPOUND_SURNAMES and 3 <= len(name) <= 4:
        return name[:2]
    if name[0] in SURNAMES and 2 <= len(name) <= 3:
        return name[0]
    return None


def _looks_like_name(name: str, after: str) -> bool:
    """A surname + given name that is neither a pet name, masked, nor a place."""
    if _surname_of(name) is None or name[0] in "小阿" or any(c in _MASKS for c in name):
        return False
    if name[-1] in _PLACE_END or _PLACE_AFTER.match(after):
        return False
    if name.endswith(_ADDRESS_FORMS) or (len(name) == 2 and name[1] in _ADDRESS_CHARS):
        return False
    return not (len(name) == 2 and name[0] == name[1])


_POSSEG = None


def _tagger() -> Any:
    """jieba's part-of-speech tagger, loaded once per process and only when a sentence needs it (~1 s)."""
    global _POSSEG
    if _POSSEG is None:
        import logging

        import jieba
        import jieba.posseg

        jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict" chatter in an editor's terminal
        jieba.initialize()
        _POSSEG = jieba.posseg
    return _POSSEG


_TAGGED: dict[str, tuple[tuple[int, str], ...]] = {}


def _tagged_names(sentence: str) -> tuple[tuple[int, str], ...]:
    """(offset, word) of every word jieba tags as a person's name (nr), memoised: notes repeat."""
    hit = _TAGGED.get(sentence)
    if hit is None:
        out, at = [], 0
        for pair in _tagger().cut(sentence):
            if pair.flag == "nr":
                out.append((at, pair.word))
            at += len(pair.word)
        hit = _TAGGED[sentence] = tuple(out)
    return hit


def _child_sentences(text: str, everywhere: bool) -> Iterable[tuple[int, str]]:
    """(offset, sentence) of the free text worth reading: YAML comment and alias lines left out."""
    pos = 0
    for line in text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        stripped = line.lstrip()
        if not stripped or stripped.startswith(("#", "<!--")) or _ALIAS_KEY_LINE.match(line):
            continue
        if not any(_HAN_MIN <= c <= _HAN_MAX for c in line):
            continue
        for m in _SENTENCE.finditer(line):
            sentence = m.group(0)
            if everywhere or _CHILD_CUE.search(sentence):
                yield start + m.start(), sentence


def _child_names(text: str, everywhere: bool) -> list[Finding]:
    found: dict[int, Finding] = {}
    for offset, sentence in _child_sentences(text, everywhere):
        candidates: list[tuple[int, str]] = []
        for rx in (_NAME_BEFORE_CUE, _NAME_AFTER_CUE):
            for m in rx.finditer(sentence):
                name = m.group("name")
                # The name is the tail of the Han run before the cue: try 3, 2 (and 4 for compound) characters.
                if rx is _NAME_BEFORE_CUE:
                    for size in (4, 3, 2):
                        tail = name[-size:]
                        if len(tail) == size and _surname_of(tail):
                            candidates.append((m.end("name") - size, tail))
                            break
                else:
                    candidates.append((m.start("name"), name))
        if any(c in SURNAMES for c in sentence):
            candidates += [(at, w) for at, w in _tagged_names(sentence)]
        for at, name in candidates:
            before, after = sentence[max(0, at - 4) : at], sentence[at + len(name) :]
            if not _looks_like_name(name, after):
                continue
            if _ROLE_BEFORE.search(before) or _ROLE_AFTER.match(after):
                continue  # an adult in a public role: 团县委书记王建国, 王建国书记
            start = offset + at
            found.setdefault(start, Finding(start, start + len(name), CHILD_NAME, name, name))
    return [found[k] for k in sorted(found)]


# --------------------------------------------------------------------------- waivers

_WAIVER_RE = re.compile(r"privacy-ok[ \t]*[:：](?P<body>[^\n]*)")  # after "#" or "<!--", checked in code
_WAIVER_BODY = re.compile(r"[ \t\u3000]*(?P<rules>[A-Za-z_.,]*)(?P<reason>.*)", re.S)
_REASON_TRIM = " \t\u3000\r:：,，;；-—–"

# --------------------------------------------------------------------------- YAML helpers

_YAML_KEY = re.compile(r"[ \t]*(?:-[ \t]+)*(?P<key>[A-Za-z_][\w.\-]*|\"[^\"\n]*\"|'[^'\n]*')[ \t]*:(?=[ \t]|$)")
_ALIAS_LINE = re.compile(r"alias[ \t]*:[ \t]*(?P<val>[^\s#|>][^\n#]*?)[ \t]*(?:[ \t]#[^\n]*)?$", re.M)
_ALIAS_KEY_HEAD = re.compile(r"[ \t]*(?:-[ \t]+)?(?P<head>[A-Za-z_]*)")  # "  captain_" before "alias:"
_ALIAS_KEY_LINE = re.compile(r"[ \t]*(?:-[ \t]+)?[A-Za-z_]*alias[ \t]*:")

# --------------------------------------------------------------------------- messages

_HOW_TO_WAIVE_ZH = "若确属误报或已公开的机构信息，在同一行或上一行加注释 `# privacy-ok: {r} 原因`"
_HOW_TO_WAIVE_EN = "if it is a false positive or an organisation's public data, add `# privacy-ok: {r} <reason>` on that line or the line above"

_MESSAGES: dict[str, tuple[str, str, str, str]] = {
    ID_NUMBER: (
        "发现身份证号码 {shown}",
        "a mainland resident ID number {shown}",
        "删除身份证号；公开内容只写化名、年龄段和乡镇（街道）",
        "remove the ID number; public content carries only an alias, an age band and the township",
    ),
    PHONE: (
        "发现手机号码 {shown}",
        "a mobile phone number {shown}",
        "删除手机号；个人联系方式只存放在需要登录的后台",
        "remove the mobile number; personal contacts live only behind the authenticated API",
    ),
    LANDLINE: (
        "发现固定电话号码 {shown}",
        "a landline number {shown}",
        "删除电话号码；如是机构公开的办公电话，请注明豁免",
        "remove the number; if it is an office's published number, waive it",
    ),
    EMAIL: (
        "发现个人电子邮箱 {shown}",
        "a personal e-mail address {shown}",
        "删除邮箱，或改用机构自有域名下的公共邮箱（如 info@、office@、tuanwei@）",
        "remove it or use an office mailbox at the organisation's own domain (info@, office@, tuanwei@ ...)",
    ),
    ADDRESS: (
        "地址精确到了乡镇（街道）以下：{shown}",
        "an address finer than the township: {shown}",
        "只写到乡镇或街道一级（如“方下镇”“张家洼街道”），删除路名门牌、楼栋、单元和房间号",
        "name the township only (方下镇, 张家洼街道); remove road numbers, buildings, units and rooms",
    ),
    SCHOOL: (
        "希望小屋档案中写出了学校名称：{shown}",
        "a cottage record names a school: {shown}",
        "删除学校名称；可以写“在读小学”这类不指向具体学校的说法",
        "remove the school's name; a phrase like 在读小学 (attends primary school) is fine",
    ),
    CHILD_NAME: (
        "描述孩子的文字中出现了像真实姓名的“{shown}”",
        "text about a child holds what looks like a person's name: {shown}",
        "改用化名（如“小雨”“阿明”）或写“一名孩子”；若是以公开职务出现的成年人，在名字前写明职务（如“团县委书记”）",
        "use the alias (小雨, 阿明) or say 一名孩子 (a child); for an adult in a public role, put the role before the name",
    ),
    NAME_IN_ALIAS: (
        "化名“{shown}”像真实姓名（以姓氏“{surname}”开头）",
        "the alias {shown!r} looks like a real name (it starts with the surname {surname})",
        "改用昵称式化名（如“小雨”“阿明”“朵朵”）或编号（如 HC-013）",
        "use a pet-name alias (小雨, 阿明, 朵朵) or a code (HC-013)",
    ),
}


def _error(file: str, line: int, col: int, rule: str, fld: str, **fmt: str) -> ContentError:
    zh, en, fix_zh, fix_en = _MESSAGES[rule]
    suffix = rule.split(".", 1)[1]
    return ContentError(
        file, line, col, rule, fld, zh.format(**fmt), en.format(**fmt),
        f"{fix_zh}。{_HOW_TO_WAIVE_ZH.format(r=suffix)}", f"{fix_en}; {_HOW_TO_WAIVE_EN.format(r=suffix)}",
    )


def _mask(s: str) -> str:
    """Keep the first three and last two digits of a number: 138******78."""
    digits = [i for i, c in enumerate(s) if c.isdigit() or c in "Xx"]
    if len(digits) <= 6:
        return s
    hide = set(digits[3:-2])
    return "".join("*" if i in hide else c for i, c in enumerate(s))


def _mask_email(addr: str) -> str:
    local, _, domain = addr.rpartition("@")
    return f"{local[:1]}***@{domain}"


# --------------------------------------------------------------------------- scanning


@dataclass(frozen=True)
class Finding:
    """One raw match before waivers: where, which rule, what to show, and a key to recognise it elsewhere."""

    start: int
    end: int
    rule: str
    shown: str
    key: str


@dataclass
class ScanResult:
    errors: list[ContentError] = field(default_factory=list)
    waivers: list[Waiver] = field(default_factory=list)
    # (rule, key) of every finding waived in this file, so the same text in built HTML
    # (where YAML comments are gone) can be recognised as already waived.
    waived_keys: set[tuple[str, str]] = field(default_factory=set)


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit() or c in "Xx").upper()


def _han_before(text: str, start: int, limit: int = 6) -> str:
    i = start
    while i > 0 and start - i < limit and "\u4e00" <= text[i - 1] <= "\u9fff":
        i -= 1
    return text[i:start]


def find(text: str, *, cottage: bool = False, children: bool = False) -> list[Finding]:
    """Every raw finding in ``text``, in order, overlapping ones dropped (the first rule wins).

    ``children`` (implied by ``cottage``) adds the child-name rule."""
    found: list[Finding] = []
    ascii_only = text.isascii()  # O(1) in CPython: no Han text, no full-width digits
    if not ascii_only and any(c in text for c in _FULL_WIDTH_CHARS):
        text = text.translate(_TO_ASCII)
    if "@" in text:
        for start, end in _emails(text):
            address = text[start:end]
            if email_is_personal(address):
                found.append(Finding(start, end, EMAIL, _mask_email(address), address.lower()))
    for m in _ID.finditer(text):
        if _id_ok(m):
            found.append(Finding(m.start(), m.end(), ID_NUMBER, _mask(m.group(0)), _digits(m.group(0))))
    for m in _PHONE_CC.finditer(text):
        cc_start = _phone_cc_start(text, m.start(), m.group("close"))
        if cc_start is not None:
            key = "1" + "".join(m.group("a", "b", "c"))
            found.append(Finding(cc_start, m.end(), PHONE, _mask(text[cc_start : m.end()]), key))
    for m in _PHONE.finditer(text):
        found.append(Finding(m.start(), m.end(), PHONE, _mask(m.group(0)), "1" + "".join(m.group("a", "b", "c"))))
    for rx in [_LANDLINE, *(rx for bracket, rx in _LANDLINE_BRACKETS.items() if bracket in text)]:
        for m in rx.finditer(text):
            found.append(Finding(m.start(), m.end(), LANDLINE, _mask(m.group(0)), _digits(m.group(0))))
    parts = [] if ascii_only else _address_parts(text)
    if parts:
        # One address (路12号3号楼2单元302室) is several parts in a row: report it once.
        parts.sort()
        spans: list[list[int]] = []
        for start, end in parts:
            if spans and start - spans[-1][1] <= 2 and "\n" not in text[spans[-1][1] : start]:
                spans[-1][1] = max(spans[-1][1], end)
            else:
                spans.append([start, end])
        for start, end in spans:
            shown = _han_before(text, start) + text[start:end]
            found.append(Finding(start, end, ADDRESS, shown, re.sub(r"\s", "", shown)))
    if cottage:
        for m in _SCHOOL.finditer(text) if not ascii_only else ():
            if _names_school(text, m.start()):
                shown = _han_before(text, m.start()) + m.group(0)
                found.append(Finding(m.start(), m.end(), SCHOOL, shown, shown))
        if "School" in text or "Kindergarten" in text:
            for m in _SCHOOL_EN.finditer(text):
                found.append(Finding(m.start(), m.end(), SCHOOL, m.group(0), m.group(0)))
    if (cottage or children) and not ascii_only:
        found += _child_names(text, everywhere=cottage)
    if len(found) < 2:
        return found
    # Drop findings overlapping an earlier (higher-priority) one. Kept spans never overlap,
    # so comparing with the neighbours in start order is enough.
    starts: list[int] = []
    kept: list[Finding] = []
    for f in found:
        i = bisect.bisect_left(starts, f.start)
        if i > 0 and kept[i - 1].end > f.start:
            continue
        if i < len(kept) and kept[i].start < f.end:
            continue
        starts.insert(i, f.start)
        kept.insert(i, f)
    return kept


class _Lines:
    """Line/column lookup for one text, built only when something was found."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._keys: dict[int, tuple[str, int, str]] = {}
        self._parents: dict[tuple[int, int, bool], str] = {}

    def where(self, pos: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, pos)
        return line, pos - self.starts[line - 1] + 1

    def line_head(self, line: int, width: int = 200) -> str:
        """The start of a line: enough for its indentation and key, never a copy of a huge line."""
        start = self.starts[line - 1]
        end = self.starts[line] - 1 if line < len(self.starts) else len(self.text)
        return self.text[start : min(end, start + width)]

    def yaml_key(self, line: int, col: int) -> str:
        """The YAML key a value on this line belongs to: the line's own key, else the nearest less-indented one above."""
        if line not in self._keys:
            self._keys[line] = self._own_and_parent_key(line)
        own, own_end, parent = self._keys[line]
        return own if own and own_end < col else parent

    def _own_and_parent_key(self, line: int) -> tuple[str, int, str]:
        head = self.line_head(line)
        m = _YAML_KEY.match(head)
        own, own_end = (m.group("key").strip("\"'"), m.end()) if m else ("", 0)
        indent = len(head) - len(head.lstrip(" "))
        item = head.lstrip(" ").startswith("- ")
        if indent == 0 and not item:
            return own, own_end, ""
        return own, own_end, self._parent_key(line - 1, indent, item)

    def _parent_key(self, first: int, indent: int, item: bool) -> str:
        """The key of the nearest line at or above ``first`` that is less indented (memoised: linear overall)."""
        passed: list[tuple[int, int, bool]] = []
        result = ""
        for up in range(first, 0, -1):
            memo = (up, indent, item)
            if memo in self._parents:
                result = self._parents[memo]
                break
            passed.append(memo)
            above = self.line_head(up)
            stripped = above.lstrip(" ")
            if not stripped.strip() or stripped.startswith("#"):
                continue
            above_indent = len(above) - len(stripped)
            # A list may sit at its key's own indentation ("key:\n- item").
            if above_indent < indent or (item and above_indent == indent and not stripped.startswith("-")):
                km = _YAML_KEY.match(above)
                result = km.group("key").strip("\"'") if km else ""
                break
        for memo in passed:
            self._parents[memo] = result
        return result


@dataclass
class _WaiverNote:
    line: int
    rules: frozenset[str]
    reason: str


def _waiver_notes(file: str, text: str, lines: _Lines) -> tuple[dict[int, list[_WaiverNote]], list[ContentError]]:
    """Valid waiver comments by the lines they cover, and errors for invalid ones."""
    notes: dict[int, list[_WaiverNote]] = {}
    errors: list[ContentError] = []
    for m in _WAIVER_RE.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        lead = text[line_start : m.start()].rstrip(" \t")
        if not (lead.endswith("#") or lead.endswith("<!--")):
            continue  # the words in running text, not a waiver comment
        body = _WAIVER_BODY.match(m.group("body").split("-->", 1)[0])
        assert body is not None  # the pattern matches any string
        names = [n for n in body.group("rules").split(",") if n]
        reason = body.group("reason").strip(_REASON_TRIM)
        line, col = lines.where(m.start())
        suffixes = {n.removeprefix("privacy.") for n in names}
        unknown = sorted(suffixes - WAIVABLE)
        if not names or unknown:
            known = ", ".join(sorted(WAIVABLE))
            what = "、".join(unknown) if unknown else "（空）"
            errors.append(ContentError(
                file, line, col, WAIVER, "",
                f"豁免注释中的规则名 {what} 不存在", f"the waiver names no known rule ({', '.join(unknown) or 'none'})",
                f"写成 `# privacy-ok: 规则名 原因`，规则名可选：{known}",
                f"write `# privacy-ok: <rule> <reason>` with <rule> one of: {known}",
            ))
            continue
        if not re.search(r"[^\W\d_]", reason):
            errors.append(ContentError(
                file, line, col, WAIVER, "",
                "豁免必须写明原因", "a waiver must state its reason",
                "例如 `# privacy-ok: landline 团区委办公电话，已公开`",
                "for example `# privacy-ok: landline 团区委办公电话，已公开` (the league office's published number)",
            ))
            continue
        note = _WaiverNote(line, frozenset(suffixes), reason)
        notes.setdefault(line, []).append(note)
        if not lead.removesuffix("#").removesuffix("<!--").strip():  # a comment line of its own covers the next
            notes.setdefault(line + 1, []).append(note)
    return notes, errors


def _waiver_for(notes: dict[int, list[_WaiverNote]], line: int, rule: str) -> _WaiverNote | None:
    suffix = rule.split(".", 1)[1]
    for note in notes.get(line, ()):
        if suffix in note.rules:
            return note
    return None


def _is_yaml(file: str) -> bool:
    return file.lower().endswith((".yml", ".yaml"))


def _bad_alias_lines(text: str) -> list[tuple[int, str, str]]:
    """(position, key, value) of YAML ``alias:``/``*_alias:`` lines whose value looks like a name."""
    out = []
    for m in _ALIAS_LINE.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        head = _ALIAS_KEY_HEAD.fullmatch(text, line_start, m.start())
        if head is None:
            continue  # "alias:" inside a value, not a key
        value = m.group("val").strip("\"'")
        if alias_surname(value) is not None:
            out.append((m.start("val"), head.group("head") + "alias", value))
    return out


def scan_source(
    file: str,
    text: str,
    *,
    cottage: bool = False,
    children: bool = False,
    aliases: bool = False,
    known_waived: Collection[tuple[str, str]] = (),
) -> ScanResult:
    """:func:`scan_text` with its extras: ``aliases`` also checks YAML ``alias:``/``*_alias:`` lines
    with :func:`scan_alias`; ``known_waived`` holds :attr:`ScanResult.waived_keys` from the source
    files, so a finding waived in YAML is not reported again in the HTML built from it."""
    result = ScanResult()
    found = find(text, cottage=cottage, children=children)
    bad_aliases = _bad_alias_lines(text) if aliases and _is_yaml(file) and "alias" in text else []
    has_waivers = "privacy-ok" in text
    if not found and not bad_aliases and not has_waivers:
        return result  # the common case: nothing to place on a line
    lines = _Lines(text)
    alias_errors: list[ContentError] = []
    for pos, key, value in bad_aliases:
        line, col = lines.where(pos)
        alias_errors += scan_alias(file, line, col, key, value)
    notes, result.errors = _waiver_notes(file, text, lines) if has_waivers else ({}, [])
    yaml = _is_yaml(file)
    for f in found:
        line, col = lines.where(f.start)
        note = _waiver_for(notes, line, f.rule)
        if note is not None:
            result.waivers.append(Waiver(file, line, f.rule, note.reason))
            result.waived_keys.add((f.rule, f.key))
        elif (f.rule, f.key) in known_waived:
            result.waivers.append(Waiver(file, line, f.rule, "已在源文件中豁免 waived in the source file"))
        else:
            shown = f.shown
            result.errors.append(_error(file, line, col, f.rule, lines.yaml_key(line, col) if yaml else "",
                                        shown=shown, surname=""))
    for err in alias_errors:
        note = _waiver_for(notes, err.line, err.rule)
        if note is not None:
            result.waivers.append(Waiver(file, err.line, err.rule, note.reason))
        else:
            result.errors.append(err)
    result.errors.sort()
    return result


def scan_text(file: str, text: str, *, cottage: bool = False,
              children: bool = False) -> tuple[list[ContentError], list[Waiver]]:
    """Privacy findings in any text file, with in-file waivers applied.

    ``cottage=True`` adds the rule that no school may be named anywhere in the file and reads every
    sentence as about a child; ``children=True`` adds the child-name rule for sentences that speak of a child.
    """
    result = scan_source(file, text, cottage=cottage, children=children)
    return result.errors, result.waivers


def apply_waivers(file: str, text: str, errors: Iterable[ContentError]) -> tuple[list[ContentError], list[Waiver]]:
    """Apply the waiver comments in ``text`` to findings made elsewhere (e.g. :func:`scan_alias` from a model)."""
    lines = _Lines(text)
    notes, _ = _waiver_notes(file, text, lines) if "privacy-ok" in text else ({}, [])
    kept: list[ContentError] = []
    waived: list[Waiver] = []
    for err in errors:
        note = _waiver_for(notes, err.line, err.rule) if err.rule.startswith("privacy.") else None
        if note is None:
            kept.append(err)
        else:
            waived.append(Waiver(file, err.line, err.rule, note.reason))
    return kept, waived


def scan_alias(file: str, line: int, column: int, field: str, alias: str) -> list[ContentError]:
    """A personal name in an alias field: surname + given name is refused; 小雨, 阿明, 朵朵, HC-013 pass."""
    surname = alias_surname(alias)
    if surname is None:
        return []
    return [_error(file, line, column, NAME_IN_ALIAS, field, shown=alias, surname=surname)]


# --------------------------------------------------------------------------- images

_GPS_IFD = 0x8825


def image_has_gps(data: bytes) -> bool:
    """True when the image's EXIF has a non-empty GPS IFD or its XMP names a GPS position.

    Raises whatever Pillow raises for data it cannot read.
    """
    from PIL import Image  # Pillow is only needed when there are images

    if b"GPSLatitude" in data or b"GPSLongitude" in data:  # XMP packet (text), never in binary EXIF
        return True
    with Image.open(io.BytesIO(data)) as img:
        exif = img.getexif()
        return bool(exif.get_ifd(_GPS_IFD))


def scan_image(file: str, data: bytes) -> list[ContentError]:
    """An image carrying GPS EXIF (or one that cannot be read, so cannot be checked) is an error."""
    try:
        has_gps = image_has_gps(data)
    except Exception as exc:  # any unreadable image is reported, never a traceback
        return [ContentError(
            file, 1, 1, GPS_EXIF, "",
            f"无法读取图片，不能确认其中没有定位信息（{type(exc).__name__}）",
            f"the image cannot be read, so it cannot be checked for location data ({type(exc).__name__})",
            "重新导出为 JPEG 或 PNG 后提交", "export it again as JPEG or PNG",
        )]
    if not has_gps:
        return []
    return [ContentError(
        file, 1, 1, GPS_EXIF, "",
        "图片带有 GPS 定位信息（EXIF），会暴露拍摄地点", "the image carries GPS location data (EXIF) that reveals where it was taken",
        "用图片工具删除位置信息后重新保存（另注意：不得发布儿童正脸照片）",
        "remove the location data with an image tool and save again (and never publish a child's face)",
    )]


# --------------------------------------------------------------------------- trees


def scan_file(name: str, raw: bytes, *, cottage: bool = False, aliases: bool = True) -> ScanResult:
    """One file of any kind, as the content pipeline reads it: text files (by suffix, :data:`TEXT_SUFFIXES`)
    through :func:`scan_source`, images (:data:`IMAGE_SUFFIXES`) through :func:`scan_image`; other files,
    and text that is not UTF-8 (the loader reports that for records), are not checked."""
    suffix = os.path.splitext(name)[1].lower()
    if suffix in IMAGE_SUFFIXES:
        return ScanResult(errors=scan_image(name, raw))
    if suffix not in TEXT_SUFFIXES:
        return ScanResult()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ScanResult()
    children = not CHILDREN_FOLDERS.isdisjoint(name.split("/")[:-1])  # kinds that describe children
    return scan_source(name, text, cottage=cottage, children=children, aliases=aliases)


def scan_tree(root: Path, *, aliases: bool = True) -> tuple[list[ContentError], list[Waiver]]:
    """Every file under ``root`` through :func:`scan_file`, with ``cottage=True`` under a ``cottages/``
    folder. Paths are reported relative to ``root``'s parent ("content/cottages/HC-001.yml"). The walk is
    the content pipeline's (:func:`site_src.loader.walk`), which lints content/ in the same pass as it loads.

    With ``aliases=True`` (default) YAML ``alias:`` and ``*_alias:`` values are also checked with
    :func:`scan_alias`; pass False when the content models already call it, to avoid double reports.
    """
    errors: list[ContentError] = []
    waivers: list[Waiver] = []
    for f in walk(Path(root)).files:
        try:
            with open(f.path, "rb") as fh:
                raw = fh.read()
        except OSError:
            continue
        result = scan_file(f.name, raw, cottage=f.cottage, aliases=aliases)
        errors += result.errors
        waivers += result.waivers
    errors.sort()
    return errors, waivers
