"""The whole suite runs on one calendar day, so the date rules give the same verdict whenever it runs.

The disclosure rules (site_src/disclosure.py) compare content with today: filings in force,
an update at least every three months, a final report within three months of the end. The
demo and example content were brought up to date on CONTENT_DAY; the suite checks them as
of that day (servers and builds the tests start inherit it). Run the suite with
QINGYI_TODAY=<another day> to see the verdict on that day; `make check-content` and
`make build` use the real date.
"""

from __future__ import annotations

import os

from site_src.disclosure import CLOCK_ENV

CONTENT_DAY = "2026-12-02"

os.environ.setdefault(CLOCK_ENV, CONTENT_DAY)
