"""Pledges as CSV for operators (reconciliation with the payment provider)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from .pledges import OPERATOR_FIELDS, operator_view

COLUMNS = OPERATOR_FIELDS


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    # A cell starting with = + - @ would run as a formula in a spreadsheet.
    if text and text[0] in "=+-@\t\r" and not isinstance(value, int):
        text = "'" + text
    return text


def pledges_csv(items: Iterable[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for item in items:
        view = operator_view(item)
        writer.writerow([_cell(view.get(c)) for c in COLUMNS])
    return "\ufeff" + buffer.getvalue()  # BOM: spreadsheet programs then read the Chinese correctly
