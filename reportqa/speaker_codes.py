"""The survey report's speaker codes: each quotation from the survey ends with who said it,
(FL), (SL) or (DG). Read by the glossary (indexer), the parsers that keep a quotation with its code
(indexer.markdown, indexer.sentences) and by the pages (tooltips on quotes)."""

from __future__ import annotations

import re

SPEAKER_CODES: dict[str, str] = {
    "FL": "frontline officer or staff member",
    "SL": "strategic lead for safeguarding",
    "DG": "discussion group participant",
}
SPEAKER_CODE = "(?:" + "|".join(map(re.escape, SPEAKER_CODES)) + ")"  # a regex matching any one code
