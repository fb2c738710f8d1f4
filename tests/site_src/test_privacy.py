"""The privacy lint: one group of tests per rule, named after it, with positives and near misses."""

from __future__ import annotations

import datetime as dt
import io
import time
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from site_src import privacy
from site_src.errors import ContentError, Waiver
from site_src.privacy import (
    RULES,
    apply_waivers,
    scan_alias,
    scan_image,
    scan_source,
    scan_text,
    scan_tree,
)

# --------------------------------------------------------------------------- helpers


def mod11_2(first17: str) -> str:
    """ISO 7064 MOD 11-2 in its iterative form, written independently of the module's weight table."""
    p = 0
    for c in first17:
        p = (p + int(c)) * 2 % 11
    return "0123456789X"[(12 - p) % 11]


def make_id(region: str = "370781", birth: str = "20100315", seq: str = "123") -> str:
    first17 = region + birth + seq
    return first17 + mod11_2(first17)


def wrong_check(id18: str) -> list[str]:
    return [id18[:17] + c for c in "0123456789X" if c != id18[17]]


def rules_of(text: str, *, cottage: bool = False, file: str = "content/x.md") -> list[str]:
    errors, _ = scan_text(file, text, cottage=cottage)
    return [e.rule for e in errors]


def only(text: str, rule: str, *, cottage: bool = False, file: str = "content/x.md") -> ContentError:
    errors, waivers = scan_text(file, text, cottage=cottage)
    assert [e.rule for e in errors] == [rule], [e.text() for e in errors]
    assert waivers == []
    return errors[0]


def image_bytes(fmt: str, *, gps: bool, other_exif: bool = True) -> bytes:
    img = Image.new("RGB", (16, 16), (200, 120, 40))
    exif = Image.Exif()
    if other_exif:
        exif[ExifTags.Base.Make] = "TestCam"
    if gps:
        ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        ifd[ExifTags.GPS.GPSLatitudeRef] = "N"
        ifd[ExifTags.GPS.GPSLatitude] = (36.0, 41.0, 12.5)
        ifd[ExifTags.GPS.GPSLongitudeRef] = "E"
        ifd[ExifTags.GPS.GPSLongitude] = (118.0, 28.0, 3.0)
    buf = io.BytesIO()
    kwargs = {"exif": exif.tobytes()} if (gps or other_exif) else {}
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


VALID_IDS = [
    "11010519491231002X",  # the example in GB 11643-1999
    make_id(),
    make_id("440106", "19900307", "451"),
    make_id("650102", "20001231", "007"),
    make_id("820000", "19620101", "999"),
]


def test_check_digit_helper_agrees_with_the_standard_example() -> None:
    assert mod11_2("11010519491231002") == "X"
    assert privacy.id_check_char("11010519491231002") == "X"
    for id18 in VALID_IDS:
        assert privacy.id_check_char(id18[:17]) == id18[17]


# --------------------------------------------------------------------------- privacy.id_number


@pytest.mark.parametrize(
    "text",
    [
        *VALID_IDS,
        "11010519491231002x",  # lower-case x
        f"身份证号{VALID_IDS[1]}。",
        f"id: '{VALID_IDS[2]}'",
        f"小雨,{VALID_IDS[1]},方下镇",
        f"<td>{VALID_IDS[3]}</td>",
        f'{{"id": "{VALID_IDS[4]}"}}',
        f"{VALID_IDS[1][:6]} {VALID_IDS[1][6:14]} {VALID_IDS[1][14:]}",  # grouped 6-8-4
        f"{VALID_IDS[1][:6]}-{VALID_IDS[1][6:14]}-{VALID_IDS[1][14:]}",
        VALID_IDS[1].translate(str.maketrans("0123456789", "０１２３４５６７８９")),  # full-width digits
        "110105491231002",  # old 15-digit form, born 1949-12-31
        "旧身份证370781100315123号",  # 15-digit, born 1910-03-15
    ],
)
def test_id_number_found(text: str) -> None:
    only(text, "privacy.id_number")


@pytest.mark.parametrize("text", wrong_check(VALID_IDS[0]) + wrong_check(VALID_IDS[1]))
def test_id_number_wrong_check_digit_passes(text: str) -> None:
    assert rules_of(text) == []


@pytest.mark.parametrize(
    "text",
    [
        VALID_IDS[1][:17],  # 17 digits
        VALID_IDS[1] + "7",  # 19 digits: an order number that contains a valid ID
        "9" + VALID_IDS[1],  # same, digit in front
        "订单号 1234567890123456789",
        "1101051949123100210",
        make_id("370781", "20101332", "123"),  # month 13
        make_id("370781", "20100230", "123"),  # 30 February
        make_id("370781", "18800101", "001"),  # before 1900
        make_id("370781", (dt.date.today() + dt.timedelta(days=400)).strftime("%Y%m%d"), "001"),  # not born yet
        make_id("970781", "20100315", "123"),  # region must start 1-8
        make_id("070781", "20100315", "123"),
        f"{VALID_IDS[1][:6]} {VALID_IDS[1][6:14]}-{VALID_IDS[1][14:]}",  # mixed grouping
        "110105491331002",  # 15 digits, month 13
        "910105491231002",  # 15 digits, region 9
        "1101054912310021",  # 16 digits
        "hash a11010519491231002Xb",  # inside a longer letter/digit token
        "0.110105491231002",  # a decimal
    ],
)
def test_id_number_near_misses_pass(text: str) -> None:
    assert rules_of(text) == []


def test_id_number_message_is_masked_and_bilingual() -> None:
    err = only(f"编号 {VALID_IDS[1]}", "privacy.id_number")
    assert VALID_IDS[1] not in err.zh + err.en
    assert "身份证" in err.zh and "ID number" in err.en
    assert err.fix_zh and err.fix_en and "privacy-ok: id_number" in err.fix_zh


# --------------------------------------------------------------------------- privacy.phone


@pytest.mark.parametrize(
    "text",
    [
        "13812345678",
        "联系电话：19912345678。",
        "138 1234 5678",
        "138-1234-5678",
        "+86 13812345678",
        "+8613812345678",
        "8613812345678",
        "86-138-1234-5678",
        "0086-138-1234-5678",
        "（+86）13712345678",
        "(86) 15012345678",
        "tel:15012345678",
        "contact: 17712345678  # 家长",
        "<p>电话 16612345678</p>",
    ],
)
def test_phone_found(text: str) -> None:
    only(text, "privacy.phone")


@pytest.mark.parametrize(
    "text",
    [
        "12812345678",  # 12x is not a mobile prefix
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "913812345678",  # inside a longer run
        "订单 2021013812345678",
        "0.13812345678",
        "13812345678.5",
        "58613812345678",  # 86 inside a longer run
        "x8613812345678",
        "0.8613812345678",
        "sha abc13812345678def",
        "筹款 1779300 元，其中 26060000 分",
        "2021-09-07 20210907",
    ],
)
def test_phone_near_misses_pass(text: str) -> None:
    assert rules_of(text) == []


def test_phone_message_is_masked() -> None:
    err = only("13812345678", "privacy.phone")
    assert "13812345678" not in err.zh + err.en and "138" in err.zh


# --------------------------------------------------------------------------- privacy.landline


@pytest.mark.parametrize(
    "text",
    [
        "0634-1234567",
        "(0757)22223333",
        "（0757）22223333",
        "（0757）2222-3333",
        "0757 2222 3333",
        "010-12345678",
        "021 6123 4567",
        "办公电话：0536-2221234。",
        "0634 1234567",
        "06341234567",
    ],
)
def test_landline_found(text: str) -> None:
    only(text, "privacy.landline")


@pytest.mark.parametrize(
    "text",
    [
        "0634-123456",  # local number too short
        "0634-01234567",  # local numbers do not start with 0
        "400-123-4567",  # a service hotline, not an area code
        "10634-1234567",  # inside a longer run
        "00757 2222 3333",
        "2021-0907",
        "2020-09-02",
        "1779300",
        "0.0634123456",
    ],
)
def test_landline_near_misses_pass(text: str) -> None:
    assert rules_of(text) == []


# --------------------------------------------------------------------------- privacy.email


@pytest.mark.parametrize(
    "text",
    [
        "zhang.wei@qzyouth.org.cn",
        "xiaoyu2010@163.com",
        "123456789@qq.com",
        "邮箱abc@qq.com。",
        "Li_Ming@gmail.com",
        "office@163.com",  # a role word at a personal mail provider is still a personal mailbox
        "volunteer@vip.qq.com",
        "wang@school.edu.cn",
        "mailto:liu.yang@outlook.com",
    ],
)
def test_email_found(text: str) -> None:
    only(text, "privacy.email")


@pytest.mark.parametrize(
    "text",
    [
        "info@qzyouth.org.cn",
        "contact@hope-foundation.org",
        "tuanwei@qingzhou.gov.cn",
        "office.2024@qzyouth.org.cn",
        "noreply@github.com",
        "someone@example.com",
        "zhang@foo.example",
        "user@host.test",
        "logo@2x.png",
        "pkg@1.2.3",
        "@青益",
    ],
)
def test_email_office_and_placeholders_pass(text: str) -> None:
    assert rules_of(text) == []


@pytest.mark.parametrize(
    ("address", "personal"),
    [
        ("info@qzyouth.org.cn", False),
        ("INFO@QZYOUTH.ORG.CN", False),
        ("contact-us@qzyouth.org.cn", False),
        ("info2@qzyouth.org.cn", False),
        ("zhang.info@qzyouth.org.cn", True),
        ("info@163.com", True),
        ("someone@mail.example.org", False),
    ],
)
def test_email_rule(address: str, personal: bool) -> None:
    assert privacy.email_is_personal(address) is personal


# --------------------------------------------------------------------------- privacy.address


@pytest.mark.parametrize(
    "text",
    [
        "云门山路12号",
        "南关街3号",
        "东关巷5号",
        "南锣鼓巷胡同7号",
        "世纪大道100号",
        "幸福小区12号",
        "住3号楼",
        "十二号楼",
        "2单元",
        "二单元",
        "302室",
        "1-302室",
        "淮海中路123弄",
        "张家村3组",
        "张家村三组12号",
        "门牌号：15",
        "门牌12号",
        "A栋",
        "5栋302",
        "8号院",
        "云门山路12号3号楼2单元302室",  # one address, one finding
        "云门山路 12 号",
    ],
)
def test_address_found(text: str) -> None:
    only(text, "privacy.address")


@pytest.mark.parametrize(
    "text",
    [
        "张家洼街道",
        "方下镇",
        "寨里镇",
        "青州市益都街道",
        "张家洼街道12号举行捐赠仪式",  # 12号 here is a date
        "2020年12月3号完工",
        "第12号选手",
        "课程第三单元",
        "3室1厅",
        "教室和会议室",
        "共改造3栋房屋",
        "一栋房子",
        "5室",
        "HC-013号小屋",
        "路过",
    ],
)
def test_address_township_level_passes(text: str) -> None:
    assert rules_of(text) == []


def test_address_message_quotes_the_place() -> None:
    err = only("家住云门山路12号", "privacy.address")
    assert "云门山路12号" in err.zh and "township" in err.en


# --------------------------------------------------------------------------- privacy.school


@pytest.mark.parametrize(
    "text",
    [
        "就读于青州市实验小学",
        "方下镇中学",
        "益都中心小学",
        "青州第一中学",
        "育英学校",
        "阳光幼儿园",
        "青州职业学院",
        "王坟完小",
        "initial: Qingzhou Primary School",
    ],
)
def test_school_found_in_cottage_files(text: str) -> None:
    only(text, "privacy.school", cottage=True)


@pytest.mark.parametrize(
    "text",
    ["正在上小学", "读初中", "在学校表现很好", "一名中学生", "小学三年级", "考上高中", "喜欢学习", "学校"],
)
def test_school_phrases_pass_in_cottage_files(text: str) -> None:
    assert rules_of(text, cottage=True) == []


@pytest.mark.parametrize("text", ["青州市实验小学", "学校", "学习", "方下镇中学捐赠仪式"])
def test_school_not_checked_outside_cottage_files(text: str) -> None:
    assert rules_of(text, cottage=False) == []


# --------------------------------------------------------------------------- privacy.name_in_alias


@pytest.mark.parametrize(
    ("alias", "surname"),
    [
        ("王小雨", "王"),
        ("欧阳娜娜", "欧阳"),
        ("张伟", "张"),
        ("李明", "李"),
        ("司马光", "司马"),
        ("王 小雨", "王"),
        ("王朵朵", "王"),
        ("王小雨（化名）", "王"),
        ("HC-013 王小雨", "王"),
        ("诸葛亮", "诸葛"),
        ("上官婉儿", "上官"),
    ],
)
def test_name_in_alias_refused(alias: str, surname: str) -> None:
    errors = scan_alias("content/cottages/HC-001.yml", 4, 8, "alias", alias)
    assert len(errors) == 1
    err = errors[0]
    assert (err.file, err.line, err.column, err.rule, err.field) == (
        "content/cottages/HC-001.yml", 4, 8, "privacy.name_in_alias", "alias",
    )
    assert surname in err.zh and "小雨" in err.fix_zh and "HC-013" in err.fix_en


@pytest.mark.parametrize(
    "alias",
    ["小雨", "阿明", "HC-013", "朵朵", "林林", "乐乐", "小王", "雨", "小雨（化名）", "Xiaoyu", "hc013", "星星", "小雨点"],
)
def test_name_in_alias_pet_names_and_codes_pass(alias: str) -> None:
    assert scan_alias("content/cottages/HC-001.yml", 4, 8, "alias", alias) == []


def test_name_in_alias_from_yaml_lines() -> None:
    text = "id: HC-001\nalias: 王小雨\nteam:\n  captain_alias: \"张伟\"  # 队长\nother: 李明\n"
    result = scan_source("content/cottages/HC-001.yml", text, aliases=True)
    got = [(e.rule, e.line, e.column, e.field) for e in result.errors]
    assert got == [
        ("privacy.name_in_alias", 2, 8, "alias"),
        ("privacy.name_in_alias", 4, 18, "captain_alias"),
    ]
    # Off by default in scan_text, so callers that check aliases through the models are not told twice.
    assert scan_text("content/cottages/HC-001.yml", text) == ([], [])


# --------------------------------------------------------------------------- privacy.gps_exif


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "TIFF"])
def test_gps_exif_found(fmt: str) -> None:
    errors = scan_image("content/cottages/HC-001.jpg", image_bytes(fmt, gps=True))
    assert [(e.rule, e.file, e.line) for e in errors] == [("privacy.gps_exif", "content/cottages/HC-001.jpg", 1)]
    assert "GPS" in errors[0].zh and errors[0].fix_zh


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "TIFF"])
@pytest.mark.parametrize("other_exif", [True, False])
def test_gps_exif_absent_passes(fmt: str, other_exif: bool) -> None:
    assert scan_image("content/x.img", image_bytes(fmt, gps=False, other_exif=other_exif)) == []


def test_gps_exif_in_xmp_found() -> None:
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="36,41.2N"'
        b' exif:GPSLongitude="118,28.1E"/></rdf:RDF></x:xmpmeta>'
    )
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "JPEG", xmp=xmp)
    assert [e.rule for e in scan_image("a.jpg", buf.getvalue())] == ["privacy.gps_exif"]


def test_gps_exif_unreadable_image_is_reported_not_raised() -> None:
    errors = scan_image("content/broken.jpg", b"\xff\xd8 this is not really a jpeg")
    assert [e.rule for e in errors] == ["privacy.gps_exif"]
    assert "无法读取" in errors[0].zh


# --------------------------------------------------------------------------- waivers (privacy.waiver)


def test_waiver_right_rule_with_reason_waives() -> None:
    text = "phone: 0634-1234567  # privacy-ok: landline 团区委办公电话，已公开\n"
    errors, waivers = scan_text("content/organisations/qz.yml", text)
    assert errors == []
    assert waivers == [Waiver("content/organisations/qz.yml", 1, "privacy.landline", "团区委办公电话，已公开")]
    assert "已豁免" in waivers[0].text()


@pytest.mark.parametrize(
    "text",
    [
        "# privacy-ok: landline 团区委办公电话，已公开\nphone: 0634-1234567\n",  # line above
        "phone: 0634-1234567 # privacy-ok: privacy.landline 团区委办公电话，已公开\n",  # full rule id
        "phone: 0634-1234567 # privacy-ok: phone,landline 团区委办公电话，已公开\n",  # several rules
        "phone: 0634-1234567 # privacy-ok：landline，团区委办公电话，已公开\n",  # full-width colon and comma
        "办公电话 0634-1234567 <!-- privacy-ok: landline 团区委办公电话，已公开 -->\n",  # Markdown/HTML
        "<!-- privacy-ok: landline 团区委办公电话，已公开 -->\n办公电话 0634-1234567\n",
    ],
)
def test_waiver_forms(text: str) -> None:
    errors, waivers = scan_text("content/x.md", text)
    assert errors == []
    assert [(w.rule, w.reason) for w in waivers] == [("privacy.landline", "团区委办公电话，已公开")]


def test_waiver_for_wrong_rule_does_not_waive() -> None:
    text = "phone: 0634-1234567  # privacy-ok: phone 团区委办公电话\n"
    errors, waivers = scan_text("content/x.yml", text)
    assert [e.rule for e in errors] == ["privacy.landline"] and waivers == []


def test_waiver_two_lines_above_does_not_waive() -> None:
    text = "# privacy-ok: landline 团区委办公电话\nname: 团区委\nphone: 0634-1234567\n"
    assert rules_of(text, file="content/x.yml") == ["privacy.landline"]


def test_waiver_trailing_a_value_covers_only_its_own_line() -> None:
    text = "a: 0634-1234567  # privacy-ok: landline 团区委办公电话\nb: 0757-2222333\n"
    errors, waivers = scan_text("content/x.yml", text)
    assert [(e.rule, e.line) for e in errors] == [("privacy.landline", 2)]
    assert [(w.rule, w.line) for w in waivers] == [("privacy.landline", 1)]


def test_waiver_in_running_text_is_not_a_waiver() -> None:
    assert rules_of("写 privacy-ok: landline 也没用 0634-1234567") == ["privacy.landline"]


@pytest.mark.parametrize(
    "comment",
    ["# privacy-ok: landline", "# privacy-ok: landline   ", "# privacy-ok: landline ：", "<!-- privacy-ok: landline -->"],
)
def test_waiver_without_reason_is_an_error(comment: str) -> None:
    text = f"phone: 0634-1234567  {comment}\n"
    errors, waivers = scan_text("content/x.yml", text)
    assert waivers == []
    assert sorted(e.rule for e in errors) == ["privacy.landline", "privacy.waiver"]
    bad = next(e for e in errors if e.rule == "privacy.waiver")
    assert bad.zh == "豁免必须写明原因" and bad.line == 1 and bad.column == text.index("privacy-ok") + 1


@pytest.mark.parametrize("comment", ["# privacy-ok: lanline 办公电话", "# privacy-ok: 办公电话"])
def test_waiver_unknown_rule_is_an_error(comment: str) -> None:
    errors, _ = scan_text("content/x.yml", f"phone: 0634-1234567  {comment}\n")
    assert sorted(e.rule for e in errors) == ["privacy.landline", "privacy.waiver"]


def test_waiver_alone_is_harmless() -> None:
    assert scan_text("content/x.yml", "# privacy-ok: phone 没有号码也没关系\nname: 小雨\n") == ([], [])


def test_waiver_applies_to_alias_findings() -> None:
    text = "alias: 文静  # privacy-ok: name_in_alias 是昵称不是姓名\n"
    result = scan_source("content/cottages/HC-002.yml", text, aliases=True)
    assert result.errors == [] and [w.rule for w in result.waivers] == ["privacy.name_in_alias"]
    # The same through apply_waivers, for findings made by the content models.
    found = scan_alias("content/cottages/HC-002.yml", 1, 8, "alias", "文静")
    kept, waived = apply_waivers("content/cottages/HC-002.yml", text, found)
    assert kept == [] and [w.reason for w in waived] == ["是昵称不是姓名"]


def test_waiver_carries_over_to_built_html() -> None:
    yaml_text = "phone: 0634-1234567  # privacy-ok: landline 团区委办公电话，已公开\n"
    source = scan_source("content/organisations/qz.yml", yaml_text)
    html = "<html><body><p>电话：0634-1234567</p><p>另一个 0757-2222333</p></body></html>"
    built = scan_source("site/organisations/qz/index.html", html, known_waived=source.waived_keys)
    assert [e.rule for e in built.errors] == ["privacy.landline"]
    assert built.errors[0].column == html.index("0757") + 1
    assert [(w.rule, w.line) for w in built.waivers] == [("privacy.landline", 1)]


# --------------------------------------------------------------------------- positions and fields


def test_line_and_column_are_exact() -> None:
    text = (
        "# yaml-language-server: $schema=../../site_src/schemas/cottage.schema.json\n"
        "id: HC-001\n"
        "story: |\n"
        "  小雨家在方下镇。\n"
        "  家长电话 13812345678，住云门山路12号。\n"
        "contacts:\n"
        "- 0634-1234567\n"
        "note: 身份证 11010519491231002X\n"
    )
    errors, _ = scan_text("content/cottages/HC-001.yml", text)
    got = [(e.rule, e.line, e.column, e.field) for e in errors]
    assert got == [
        ("privacy.phone", 5, 8, "story"),
        ("privacy.address", 5, 24, "story"),
        ("privacy.landline", 7, 3, "contacts"),
        ("privacy.id_number", 8, 11, "note"),
    ]
    for e in errors:
        line = text.splitlines()[e.line - 1]
        assert line[e.column - 1].isdigit() or line[e.column - 1] == "路"


def test_markdown_findings_have_no_field() -> None:
    errors, _ = scan_text("content/programmes/laiwu.md", "# 标题\n\n电话 13812345678\n")
    assert [(e.line, e.column, e.field) for e in errors] == [(3, 4, "")]


def test_windows_line_endings() -> None:
    errors, _ = scan_text("content/x.md", "a\r\nb\r\n电话 13812345678\r\n")
    assert [(e.line, e.column) for e in errors] == [(3, 4)]


def test_annotation_and_text_render() -> None:
    err = only("电话 13812345678", "privacy.phone")
    assert err.annotation().startswith("::error file=content/x.md,line=1,col=4,title=privacy.phone::")
    assert "手机" in err.text() and "mobile" in err.text()


def test_several_rules_in_one_file_in_order() -> None:
    text = "a 13812345678 b zhang@qq.com c 0634-1234567 d 云门山路12号 e " + VALID_IDS[0]
    assert rules_of(text) == [
        "privacy.phone", "privacy.email", "privacy.landline", "privacy.address", "privacy.id_number",
    ]


def test_a_phone_inside_an_email_is_reported_once() -> None:
    assert rules_of("13812345678@163.com") == ["privacy.email"]


def test_phone_after_a_hotline_is_reported_once() -> None:
    err = only("10086 13812345678", "privacy.phone")
    assert err.column == 7


# --------------------------------------------------------------------------- scan_tree


def test_scan_tree(tmp_path: Path) -> None:
    content = tmp_path / "content"
    (content / "cottages").mkdir(parents=True)
    (content / "projects").mkdir()
    (content / "programmes").mkdir()
    (content / "cottages" / "HC-001.yml").write_text(
        "id: HC-001\nalias: 王小雨\nnote: 青州市实验小学\n", encoding="utf-8"
    )
    (content / "cottages" / "HC-002.yml").write_text("id: HC-002\nalias: 小雨\nnote: 正在上小学\n", encoding="utf-8")
    (content / "projects" / "p.yml").write_text(
        "note: 青州市实验小学捐赠\nphone: 0634-1234567  # privacy-ok: landline 团区委办公电话，已公开\n",
        encoding="utf-8",
    )
    (content / "programmes" / "laiwu.md").write_text("联系 liu.yang@163.com\n", encoding="utf-8")
    (content / "cottages" / "HC-001.jpg").write_bytes(image_bytes("JPEG", gps=True))
    (content / "programmes" / "logo.png").write_bytes(image_bytes("PNG", gps=False))
    (content / "programmes" / "data.bin").write_bytes(b"\x00\x01 13812345678")  # not a text suffix: skipped
    (content / "programmes" / "bad.csv").write_bytes(b"\xff\xfe 13812345678")  # not UTF-8: skipped

    errors, waivers = scan_tree(content)
    got = [(e.file, e.line, e.rule) for e in errors]
    assert got == [
        ("content/cottages/HC-001.jpg", 1, "privacy.gps_exif"),
        ("content/cottages/HC-001.yml", 2, "privacy.name_in_alias"),
        ("content/cottages/HC-001.yml", 3, "privacy.school"),
        ("content/programmes/laiwu.md", 1, "privacy.email"),
    ]
    assert [(w.file, w.line, w.rule) for w in waivers] == [("content/projects/p.yml", 2, "privacy.landline")]

    errors, _ = scan_tree(content, aliases=False)
    assert "privacy.name_in_alias" not in [e.rule for e in errors]

    # Scanning the cottages folder itself still applies the school rule.
    errors, _ = scan_tree(content / "cottages")
    assert [(e.file, e.rule) for e in errors] == [
        ("cottages/HC-001.jpg", "privacy.gps_exif"),
        ("cottages/HC-001.yml", "privacy.name_in_alias"),
        ("cottages/HC-001.yml", "privacy.school"),
    ]


SAMPLES = Path(__file__).parent / "privacy_samples" / "content"


def test_samples() -> None:
    errors, waivers = scan_tree(SAMPLES)
    assert [(e.file, e.line, e.rule, e.field) for e in errors] == [
        ("content/cottages/HC-900.yml", 4, "privacy.name_in_alias", "alias"),
        ("content/cottages/HC-900.yml", 6, "privacy.address", "note"),
        ("content/cottages/HC-900.yml", 7, "privacy.school", "school_note"),
        ("content/cottages/HC-900.yml", 8, "privacy.phone", "guardian_phone"),
        ("content/cottages/HC-900.yml", 9, "privacy.id_number", "guardian_id"),
        ("content/cottages/HC-900.yml", 10, "privacy.landline", "office"),
        ("content/cottages/HC-900.yml", 10, "privacy.waiver", ""),  # no rule named
        ("content/cottages/HC-900.yml", 11, "privacy.email", "contact"),
        ("content/cottages/HC-900.yml", 12, "privacy.child_name", "activity_note"),
        ("content/needs/need-900.yml", 3, "privacy.child_name", "description"),
        ("content/programmes/notes.md", 8, "privacy.phone", ""),
    ]
    assert [(w.file, w.line, w.rule) for w in waivers] == [
        ("content/cottages/HC-901.yml", 13, "privacy.landline"),
        ("content/needs/need-900.yml", 7, "privacy.child_name"),
        ("content/programmes/notes.md", 6, "privacy.landline"),
    ]


# --------------------------------------------------------------------------- children's names in free text

CHILD_NAMES = [  # (text, the name found); each in a file of a kind that describes children
    ("note: 张小明在六一文艺汇演上表演了诗朗诵", "张小明"),
    ("description: 李思琪（9岁）需要课业辅导", "李思琪"),
    ("description: 李思琪(9岁)需要课业辅导", "李思琪"),
    ("summary: 小朋友刘洋洋参加了夏令营", "刘洋洋"),
    ("summary: 陈静同学在活动中获奖", "陈静"),
    ("body: 欧阳娜娜（十岁）收到了新书桌", "欧阳娜娜"),
    ("body: 留守儿童王芳和志愿者一起过生日", "王芳"),
]
CHILD_NAME_NEAR_MISSES = [
    "note: 小雨在六一文艺汇演上表演了诗朗诵",  # an alias
    "description: 王某（9岁）需要课业辅导",  # masked
    "description: 李×（9岁）需要课业辅导",
    "title: 白水洋镇为留守儿童开展心理陪伴",  # a place
    "title: 孩子们在朱家村参加图书漂流",
    "summary: 张家洼街道的孩子们收到了图书",
    "summary: 团县委书记王建国看望留守儿童",  # an adult in a public role
    "summary: 王建国书记看望孩子们",
    "summary: 李老师带孩子们读书",  # a form of address
    "summary: 王阿姨给孩子讲故事",
    "summary: 志愿者为12岁的孩子送去书桌",
    "summary: 朵朵（9岁）喜欢画画",  # a repeated pet name
]


@pytest.mark.parametrize(("text", "name"), CHILD_NAMES)
def test_child_name_in_free_text_is_refused(text: str, name: str) -> None:
    if text.startswith("note:"):  # activity notes live in cottage files, where every sentence is about the child
        (err,), _ = scan_text("content/cottages/HC-001.yml", text, cottage=True)
    else:
        (err,), _ = scan_text("content/needs/need-001.yml", text, children=True)
    assert err.rule == "privacy.child_name" and name in err.zh and err.fix_zh and err.fix_en
    assert err.column == text.index(name) + 1


@pytest.mark.parametrize("text", CHILD_NAME_NEAR_MISSES)
def test_child_name_near_misses_pass(text: str) -> None:
    assert scan_text("content/cottages/HC-001.yml", text, cottage=True) == ([], [])
    assert scan_text("content/needs/need-001.yml", text, children=True) == ([], [])


def test_child_name_needs_a_child_in_the_sentence_outside_cottage_files() -> None:
    # A programme page naming an adult without a role: not about a child, so not this rule's business.
    assert scan_text("content/programmes/laiwu.yml", "story: 张建华参加了项目评审会", children=True) == ([], [])
    # In a cottage file the whole record is about one child.
    (err,), _ = scan_text("content/cottages/HC-001.yml", "note: 张建华参加了图书漂流", cottage=True)
    assert err.rule == "privacy.child_name"


def test_child_name_not_read_in_comments_or_aliases() -> None:
    text = "# 张小明的档案已删除\nalias: 小雨\n"
    assert scan_text("content/cottages/HC-001.yml", text, cottage=True) == ([], [])


def test_child_name_waived_in_the_file_with_a_reason() -> None:
    text = "summary: 感谢陈静同学辅导孩子们  # privacy-ok: child_name 成年志愿者，本人同意公开\n"
    errors, waivers = scan_text("content/needs/need-001.yml", text, children=True)
    assert errors == [] and [w.rule for w in waivers] == ["privacy.child_name"]


def test_child_name_only_in_files_about_children() -> None:
    text = "summary: 陈静同学在活动中获奖\n"
    assert scan_text("content/organisations/x.yml", text) == ([], [])
    assert rules_of(text, file="content/needs/x.yml") == []  # scan_text alone: the caller says what the file is


def test_child_name_demo_content_passes() -> None:
    errors, _ = scan_tree(Path(__file__).resolve().parents[2] / "content")
    assert [e for e in errors if e.rule == "privacy.child_name"] == []


# --------------------------------------------------------------------------- every rule, every message


def test_every_rule_has_tests_named_after_it() -> None:
    names = [n for n in globals() if n.startswith("test_")]
    for rule in RULES:
        suffix = rule.split(".", 1)[1]
        assert any(n.startswith(f"test_{suffix}") for n in names), rule


@pytest.mark.parametrize(
    ("text", "cottage"),
    [
        (VALID_IDS[0], False), ("13812345678", False), ("0634-1234567", False), ("a@qq.com", False),
        ("路12号", False), ("实验小学", True),
    ],
)
def test_every_message_is_bilingual_with_a_fix(text: str, cottage: bool) -> None:
    (err,), _ = scan_text("content/cottages/x.yml", text, cottage=cottage)
    assert err.zh and err.en and err.fix_zh and err.fix_en
    assert any("\u4e00" <= c <= "\u9fff" for c in err.zh + err.fix_zh)
    assert err.rule in RULES


# --------------------------------------------------------------------------- speed


def test_linear_on_adversarial_input() -> None:
    # Long digit runs, many separators, many "@" and address words: each must stay linear.
    texts = [
        "1" * 200_000,
        "138 " * 50_000,
        "0634-" * 40_000,
        "a@" * 100_000,
        "a" * 100_000 + "@" + "b." * 50_000,
        "路1号" * 50_000,
        "1单元" * 50_000,
        "privacy-ok: x\n" * 20_000,
        "实验小学" * 5_000,
        "13812345678\n" * 5_000,
    ]
    start = time.perf_counter()
    for text in texts:
        scan_source("content/cottages/x.yml", text, cottage=True, aliases=True)
    # About 0.5 s here; the bound only catches quadratic behaviour.
    assert time.perf_counter() - start < 20
