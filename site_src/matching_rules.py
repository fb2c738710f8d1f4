"""The API's matching rules, imported by the site build (they are written once, in api/chalicelib).

The Lambda bundle imports them as ``chalicelib``; so does the build, with api/
on the path, so there is one module per rule set and never two copies.
"""

from __future__ import annotations

import sys
from pathlib import Path

_API = str(Path(__file__).resolve().parent.parent / "api")
if _API not in sys.path:
    sys.path.append(_API)

from chalicelib import matching, rules, rules_text  # noqa: E402

__all__ = ["matching", "rules", "rules_text"]
