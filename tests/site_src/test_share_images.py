"""Share cards, team posters and the favicon drawn at build time (publish/share.py)."""

from __future__ import annotations

import io

import pytest
import segno
from mkdocs.exceptions import PluginError
from PIL import Image

from site_src.publish import share

URL = "http://127.0.0.1:8000/teams/team-01/"
CARD = share.Card("星火战队", "为“希望小屋续建在线认捐”筹款", 0, 1_000_000, "战队目标 ¥10,000", URL)


def _qr_matches(img: Image.Image, left: int, top: int, size: int, url: str) -> bool:
    """Every module of the QR code for ``url``, sampled at its centre in ``img``, has the right colour."""
    matrix = segno.make(url, error="m").matrix
    scale = share.qr_scale(url, size)
    width = (len(matrix) + 2 * share.QR_BORDER) * scale
    x0 = left + (size - width) // 2 + share.QR_BORDER * scale
    y0 = top + (size - width) // 2 + share.QR_BORDER * scale
    grey = img.convert("L")
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            value = grey.getpixel((x0 + c * scale + scale // 2, y0 + r * scale + scale // 2))
            if (value < 128) != bool(dark):
                return False
    return True


def test_the_share_card_is_a_png_whose_qr_code_opens_the_page() -> None:
    img = Image.open(io.BytesIO(share.card_png(CARD)))
    assert img.format == "PNG" and img.size == share.CARD
    assert _qr_matches(img, 850, 150, 300, URL)
    assert not _qr_matches(img, 850, 150, 300, URL + "x")  # the check can fail


def test_the_team_poster_is_a_phone_sized_png_with_the_qr_code() -> None:
    img = Image.open(io.BytesIO(share.poster_png(CARD, "队长01", "演示公益日")))
    assert img.format == "PNG" and img.size == share.POSTER
    assert _qr_matches(img, share.POSTER[0] // 2 - 210, 770, 420, URL)


def test_favicon_is_an_ico_with_the_small_sizes() -> None:
    ico = Image.open(io.BytesIO(share.favicon_ico()))
    assert ico.format == "ICO" and {(16, 16), (32, 32)} <= set(ico.info["sizes"])


def test_without_a_cjk_font_the_build_stops_and_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    share.font_path.cache_clear()
    monkeypatch.setattr(share.shutil, "which", lambda name: None)
    monkeypatch.setattr(share.glob, "glob", lambda pattern, recursive=False: [])
    try:
        with pytest.raises(PluginError) as err:
            share.font_path()
        assert "fonts-wqy-microhei" in str(err.value) and "中文字体" in str(err.value)
    finally:
        share.font_path.cache_clear()
