"""What a PDF will cost to lay out, checked cheaply before pdfplumber parses it: its page count, and for
every page the size of its decompressed drawing instructions and how many operators and operands they
hold. pypdf's own limits bound the checking itself (a 400 MB decompression bomb is stopped at the cap,
a page tree that names a million pages at the page limit). A PDF over any cap is skipped with the reason;
one that passes and still needs more is stopped by the child process's limits (indexer.bounded)."""

from __future__ import annotations

import re
from typing import Any

from pypdf.errors import LimitReachedError

from reportqa.settings import InputLimitsConfig

MB = 1_000_000
TOKEN_RE = re.compile(rb"[^\s]+")


class OverBudget(Exception):
    """The PDF is over one of the caps; the message names it and its setting."""


def declared_pages(reader: Any) -> int | None:
    """The page count the PDF's page tree declares (None when it declares none that can be read)."""
    try:
        return int(reader.trailer["/Root"]["/Pages"]["/Count"])
    except Exception:  # a page tree without /Count, or no page tree: pypdf's own reading decides
        return None


def tokens_in(data: bytes) -> int:
    """About how many operators and operands drawing instructions hold: the runs of characters between
    white space (counted by substitution, so a page of millions costs no list of them)."""
    return TOKEN_RE.subn(b"", data)[1]


def check_budget(reader: Any, limits: InputLimitsConfig) -> None:
    """Raise OverBudget, naming the cap and its setting, when the PDF opened by the pypdf ``reader`` has
    more pages than ``limits.pdf_max_pages`` or drawing instructions over the per-page or per-file caps."""
    from pypdf._configuration import apply_configuration

    declared = declared_pages(reader)
    if declared is not None and declared > limits.pdf_max_pages:
        raise OverBudget(f"it has {declared:,} pages, more than the {limits.pdf_max_pages:,} read from "
                        "one PDF (REPORTQA_PDF_MAX_PAGES)")
    page_bytes = int(limits.pdf_page_stream_mb * MB)
    total = 0
    with apply_configuration(zlib_maximum_output_length=page_bytes, lzw_maximum_output_length=page_bytes,
                             run_length_maximum_output_length=page_bytes,
                             page_tree_maximum_page_entries=limits.pdf_max_pages + 1):
        try:
            pages = list(reader.pages)
        except LimitReachedError as exc:
            raise OverBudget(f"its page tree holds more than the {limits.pdf_max_pages:,} pages read from "
                            "one PDF (REPORTQA_PDF_MAX_PAGES)") from exc
        for number, page in enumerate(pages, start=1):
            data = _contents(page, number, limits)
            tokens = tokens_in(data)
            if tokens > limits.pdf_page_tokens:
                raise OverBudget(f"page {number} holds about {tokens:,} drawing operators and operands, more "
                                f"than the {limits.pdf_page_tokens:,} read on one page (REPORTQA_PDF_PAGE_TOKENS)")
            total += tokens
            if total > limits.pdf_file_tokens:
                raise OverBudget(f"its pages hold more than {limits.pdf_file_tokens:,} drawing operators and "
                                "operands, the most read from one PDF (REPORTQA_PDF_FILE_TOKENS)")


def _contents(page: Any, number: int, limits: InputLimitsConfig) -> bytes:
    """A page's decompressed drawing instructions, refused over the per-page cap."""
    try:
        contents = page.get_contents()
        data = contents.get_data() if contents is not None else b""
    except LimitReachedError as exc:  # pypdf stopped decompressing at the cap, or at a limit of its own
        raise OverBudget(f"page {number}'s drawing instructions decompress past a reading limit "
                         f"(REPORTQA_PDF_PAGE_STREAM_MB is {limits.pdf_page_stream_mb:g} MB; pypdf: {exc})") from exc
    if len(data) > limits.pdf_page_stream_mb * MB:
        raise OverBudget(f"page {number} holds more than {limits.pdf_page_stream_mb:g} MB of drawing instructions, "
                         "the most read on one page (REPORTQA_PDF_PAGE_STREAM_MB)")
    return data
