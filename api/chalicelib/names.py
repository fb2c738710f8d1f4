"""Donor names as the donor wall shows them: one spelling per name, nothing invisible.

A name is NFKC-normalised first, so fullwidth letters and digits,
compatibility ideographs and ligatures take their ordinary form ("ＬＩ" and
"LI" are one name) and a fullwidth "＜" becomes "<" *before* the markup is
stripped (pledges.clean_text runs after this). Then every character that draws
nothing is removed: format characters (zero-width space, bidi controls, soft
hyphen, word joiner) other than the joiner and variation selectors inside
emoji, and the letters and symbols that render as blank space (the Hangul
fillers U+115F, U+1160, U+3164, U+FFA0, the blank Braille pattern U+2800, the
combining grapheme joiner, Khmer and Mongolian invisible vowels and
selectors). A name that had characters but keeps no visible one is refused
with its own message: it would stand on the wall as an empty line that looks
like a person.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from . import errors

#: Kept although they draw nothing: they hold emoji sequences together (👨‍👩‍👧, ❤️).
EMOJI_GLUE = frozenset({"\u200d", "\ufe0e", "\ufe0f"})

#: Letters, marks and symbols that Unicode does not class as format characters but that render as nothing.
BLANKS = frozenset(
    "\u115f\u1160\u3164\uffa0"  # Hangul choseong/jungseong fillers, Hangul filler, halfwidth Hangul filler
    "\u2800"  # Braille pattern blank
    "\u034f"  # combining grapheme joiner
    "\u17b4\u17b5"  # Khmer inherent vowels
    "\u180b\u180c\u180d\u180f"  # Mongolian free variation selectors
    + "".join(chr(c) for c in range(0xFE00, 0xFE0E))  # variation selectors 1-14 (15, 16 are emoji glue)
    + "".join(chr(c) for c in range(0xE0100, 0xE01F0))  # variation selectors supplement
)


def nothing_visible() -> errors.InvalidDisplayName:
    return errors.InvalidDisplayName(
        "显示名只含看不见的字符（如零宽字符、韩文填充符 U+3164、盲文空白 U+2800）：请填写看得见的名字，或选择匿名",
        "display_name has only invisible characters (zero-width, Hangul filler U+3164, blank Braille U+2800): "
        "send a visible name, or anonymous: true",
    )


def invisible(ch: str) -> bool:
    """True for a character that draws nothing and holds no emoji together."""
    if ch in EMOJI_GLUE:
        return False
    return ch in BLANKS or unicodedata.category(ch) in ("Cf", "Cc", "Cs", "Co")


def normalise(value: str) -> str:
    """``value`` in NFKC without invisible characters; refuse one that had characters but shows none."""
    text = "".join(ch for ch in unicodedata.normalize("NFKC", value) if not invisible(ch))
    if value.strip() and not any(not ch.isspace() and ch not in EMOJI_GLUE for ch in text):
        raise nothing_visible()
    return text


def normalise_field(data: dict[str, Any], name: str) -> dict[str, Any]:
    """``data`` with its ``name`` field normalised when it is text (other types are the caller's to refuse)."""
    value = data.get(name)
    return {**data, name: normalise(value)} if isinstance(value, str) else data
