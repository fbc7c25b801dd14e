"""What a PDF may cost to read (indexer.pdf_budget, through indexer.loaders): a decompression bomb, a page
of millions of drawing operators, too many pages, or a PDF over the memory or time of its child process
is skipped with the reason, quickly; the reader never swells (issue 22, D3). Fixtures are made per test,
after ../shared/hostile/make_pdfs.py, small by lowering the caps."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.corpus import SourceFile
from indexer.loaders import LoadError, load
from indexer.pdf_budget import tokens_in
from reportqa.settings import InputLimitsConfig
from tests import pdf_fixtures as fx


def _load(path: Path, **limits):
    return load(SourceFile(path, "test", None), limits=InputLimitsConfig(**limits))


def test_a_page_that_inflates_past_the_cap_is_skipped(tmp_path: Path) -> None:
    bomb = fx.drawing_pdf(tmp_path / "bomb.pdf", [b" " * 3_000_000])  # 3 MB of spaces, 3 KB compressed
    assert bomb.stat().st_size < 10_000
    with pytest.raises(LoadError, match=r"page 1's drawing instructions decompress past a reading limit "
                                        r"\(REPORTQA_PDF_PAGE_STREAM_MB is 2 MB; pypdf: Limit reached"):
        _load(bomb, pdf_page_stream_mb=2)
    assert _load(bomb, pdf_page_stream_mb=4).pages  # under the cap it is read


def test_a_page_stored_uncompressed_over_the_cap_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "plain.pdf"
    content = fx.TEXT_OPS + b" " * 3_000_000
    path.write_bytes(fx.raw_pdf({
        1: b"<< /Type /Catalog /Pages 2 0 R >>", 2: b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>", 3: fx.FONT,
        4: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
           b"/Contents 5 0 R >>",
        5: b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"}))
    with pytest.raises(LoadError, match=r"page 1 holds more than 2 MB of drawing instructions, the most read on one "
                                        r"page \(REPORTQA_PDF_PAGE_STREAM_MB\)"):
        _load(path, pdf_page_stream_mb=2)


@pytest.mark.parametrize(("pages", "limit", "message"), [
    ([fx.paths(20_000)], {"pdf_page_tokens": 100_000},
     r"page 1 holds about 140,0\d\d drawing operators and operands, more than the 100,000 read on one page "
     r"\(REPORTQA_PDF_PAGE_TOKENS\)"),
    ([fx.paths(5_000)] * 4, {"pdf_file_tokens": 100_000},
     r"its pages hold more than 100,000 drawing operators and operands, the most read from one PDF "
     r"\(REPORTQA_PDF_FILE_TOKENS\)"),
], ids=["one page", "all pages"])
def test_too_many_drawing_operators_are_skipped(tmp_path: Path, pages: list[bytes], limit: dict, message: str) -> None:
    path = fx.drawing_pdf(tmp_path / "ops.pdf", pages)
    with pytest.raises(LoadError, match=message):
        _load(path, **limit)
    assert len(_load(path).pages) == len(pages)  # under the default caps it is read


def test_a_pdf_with_too_many_pages_is_skipped_whatever_it_declares(tmp_path: Path) -> None:
    declared = fx.drawing_pdf(tmp_path / "declared.pdf", [b""], declared=1_000_000)
    with pytest.raises(LoadError, match=r"it has 1,000,000 pages, more than the 2,000 read from one PDF"):
        _load(declared)
    lying = fx.drawing_pdf(tmp_path / "lying.pdf", [b""] * 4, declared=1)
    with pytest.raises(LoadError, match=r"its page tree holds more than the 3 pages read from one PDF"):
        _load(lying, pdf_max_pages=3)


def test_a_pdf_over_the_memory_or_time_of_its_reader_is_skipped(tmp_path: Path) -> None:
    """Under the caps, a page of 40,000 segments still costs pdfplumber seconds and a few hundred MB."""
    path = fx.drawing_pdf(tmp_path / "heavy.pdf", [fx.paths(40_000)])
    with pytest.raises(LoadError, match=r"heavy.pdf: reading it (needed more than 256 MB of memory|took more "
                                        r"than 60 s of processor time or 256 MB of memory) \(limits per PDF"):
        _load(path, pdf_memory_mb=256)
    with pytest.raises(LoadError, match=r"heavy.pdf: reading it took longer than 0.5 s \(limits per PDF: "
                                        r"REPORTQA_PDF_MEMORY_MB, REPORTQA_PDF_SECONDS\)"):
        _load(path, pdf_seconds=0.5)


def test_tokens_are_counted_without_splitting() -> None:
    assert tokens_in(b"") == 0 and tokens_in(b"1 1 m 2 2 l S\n") == 7 and tokens_in(fx.paths(3)) == 21
    assert tokens_in(b"  BT\n\n  /F1 11 Tf  ET ") == 5
