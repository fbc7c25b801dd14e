"""The survey report's speaker codes: each quotation from the survey ends with who said it,
(FL), (SL) or (DG). Read by the glossary (indexer) and by the pages (tooltips on quotes)."""

from __future__ import annotations

SPEAKER_CODES: dict[str, str] = {
    "FL": "frontline officer or staff member",
    "SL": "strategic lead for safeguarding",
    "DG": "discussion group participant",
}
