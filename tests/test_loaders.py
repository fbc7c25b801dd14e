"""Loading each format, and the clear errors for files that cannot be read."""

from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF

from indexer.corpus import SourceFile, discover, sha256_file, supported_suffixes
from indexer.document import build_document
from indexer.loaders import LOADERS, LoadError, load
from reportqa.records import DocumentMeta

TITLES = ["Warning notices", "Orders in practice", "Prevention orders"]
PARAGRAPHS = [
    "Child abduction warning notices are served by police to break contact between a suspect "
    "and a child at risk.",
    "Officers said the notices worked best when they were monitored and when every breach was "
    "followed up quickly by the team that issued them.",
    "Sexual harm prevention orders can restrict the activities of people who pose a risk of harm.",
]


def _source(path: Path) -> SourceFile:
    return SourceFile(path, sha256_file(path), None)


def make_pdf(path: Path, pages: int = 3, encrypt: str | None = None) -> Path:
    """A multi-page PDF with a running header and footer, page numbers, and a word split by a
    hyphen at a line end on page 2."""
    pdf = FPDF(format=(148, 210))
    pdf.set_auto_page_break(False)
    pdf.set_font("Helvetica", size=10)
    for n in range(1, pages + 1):
        pdf.add_page()
        pdf.set_xy(10, 8)
        pdf.cell(0, 5, "POLICE DISRUPTION TEST REPORT")
        pdf.set_xy(10, 20)
        pdf.cell(0, 6, f"{n}. {TITLES[(n - 1) % len(TITLES)]}")
        pdf.set_xy(10, 30)
        if n == 2:
            pdf.cell(0, 5, "Officers described the orders as disrup-")
            pdf.set_xy(10, 36)
            pdf.cell(0, 5, "tive and effective when they were enforced.")
        else:
            pdf.multi_cell(120, 5, PARAGRAPHS[(n - 1) % len(PARAGRAPHS)])
        pdf.set_xy(10, 195)
        pdf.cell(0, 5, f"Centre of expertise test footer    {n}")
    if encrypt is not None:
        pdf.set_encryption(owner_password="owner", user_password=encrypt)
    pdf.output(str(path))
    return path


def test_load_text_and_markdown(tmp_path: Path) -> None:
    txt = tmp_path / "a.txt"
    txt.write_text("Heading\n\nSome text here.\n", encoding="utf-8")
    md = tmp_path / "b.md"
    md.write_text("# Title\n\nBody.\n", encoding="utf-8")
    assert load(_source(txt)).format == "text"
    loaded = load(_source(md))
    assert loaded.format == "markdown" and not loaded.paged and "Body." in loaded.pages[0]


def test_pdf_pages_headers_footers_and_hyphenation(tmp_path: Path) -> None:
    raw = load(_source(make_pdf(tmp_path / "report.pdf")))
    assert raw.format == "pdf" and raw.paged and len(raw.pages) == 3
    meta = DocumentMeta(doc_id="report", file="report.pdf", title="Test", short_title="Test")
    doc = build_document(raw, meta)
    assert "POLICE DISRUPTION TEST REPORT" not in doc.text
    assert "footer" not in doc.text
    assert "disruptive and effective" in doc.text  # the line-end hyphen was not a real one
    pages = {}
    for block in doc.blocks:
        if block.kind == "paragraph":
            pages[doc.text[block.start:block.end][:20]] = doc.pages_of(block)
    assert pages["Child abduction warn"] == (1, 1)
    assert pages["Officers described t"] == (2, 2)
    assert pages["Sexual harm preventi"] == (3, 3)
    headings = [b.section for b in doc.blocks if b.kind == "heading"]
    assert headings == [("1. Warning notices",), ("2. Orders in practice",), ("3. Prevention orders",)]


def test_encrypted_pdf_is_refused_with_reason(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "locked.pdf", pages=1, encrypt="secret")
    with pytest.raises(LoadError, match="locked.pdf: the PDF is encrypted"):
        load(_source(path))


def test_malformed_pdf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer garbage")
    with pytest.raises(LoadError, match="broken.pdf"):
        load(_source(path))


def test_pdf_without_text_is_refused(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))
    with pytest.raises(LoadError, match="no extractable text"):
        load(_source(path))


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("empty.pdf", b"", "empty"),
        ("binary.txt", bytes(range(256)) * 8, "binary"),
    ],
)
def test_bad_files_are_refused(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(LoadError, match=reason):
        load(_source(path))


def test_discover_ignores_readme_and_unknown_types(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("notes", encoding="utf-8")
    (tmp_path / "report.md").write_text("# R\n\ntext", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    assert [f.name for f in discover(tmp_path)] == ["report.md"]


@pytest.mark.parametrize("entry, field", [
    ('file = "a.txt"\nid = "has/slash"', '"id"'),
    ('file = "a.txt"\nid = "has space"', '"id"'),
    ('file = "a.txt"\nid = "what?#"', '"id"'),
    ('file = "a.txt"\nauthors = 5', '"authors"'),
    ('file = "a.txt"\nauthors = ["' + "A" * 3000 + '"]', '"authors"'),
    ('file = 5', '"file"'),
    ('file = "../elsewhere.txt"', '"file"'),
    ('file = "a.txt"\ntitle = "' + "T" * 200_000 + '"', '"title"'),
])
def test_manifest_values_are_validated(tmp_path: Path, entry: str, field: str) -> None:
    from indexer.corpus import CorpusError, read_manifest

    (tmp_path / "manifest.toml").write_text(f"[[report]]\n{entry}\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=f"manifest.toml: \\[\\[report\\]\\] entry 1, field {field}"):
        read_manifest(tmp_path)


def test_manifest_report_must_be_a_list_of_tables(tmp_path: Path) -> None:
    from indexer.corpus import CorpusError, read_manifest

    (tmp_path / "manifest.toml").write_text('report = "x"\n', encoding="utf-8")
    with pytest.raises(CorpusError, match="a list of"):
        read_manifest(tmp_path)


def test_links_and_special_files_are_skipped_with_a_reason(tmp_path: Path) -> None:
    import os

    from indexer.corpus import discover_with_skips

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "real.txt").write_text("A report about police disruption of abuse.", encoding="utf-8")
    outside = tmp_path / "secret.txt"
    outside.write_text("not part of the corpus", encoding="utf-8")
    (corpus / "outside.txt").symlink_to(outside)
    (corpus / "inside.txt").symlink_to(corpus / "real.txt")
    (corpus / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    (corpus / "loop.txt").symlink_to(corpus / "loop.txt")
    (corpus / "folder.txt").mkdir()
    os.mkfifo(corpus / "fifo.txt")
    files, skipped = discover_with_skips(corpus)
    assert sorted(f.name for f in files) == ["inside.txt", "real.txt"]
    reasons = dict(skipped)
    assert "outside the corpus folder" in reasons["outside.txt"]
    assert "broken or looping" in reasons["dangling.txt"] and "broken or looping" in reasons["loop.txt"]
    assert "not a regular file" in reasons["folder.txt"] and "not a regular file" in reasons["fifo.txt"]


def test_a_few_invalid_utf8_bytes_keep_the_rest_of_the_file(tmp_path: Path, caplog) -> None:
    from indexer.corpus import discover
    from indexer.loaders import load

    text = "Police disruption of abuse – measures and their effects. " * 40
    (tmp_path / "r.txt").write_bytes(text.encode("utf-8") + b"\xff\xfe bad" + text.encode("utf-8"))
    raw = load(discover(tmp_path)[0])
    assert "–" in raw.pages[0] and "\ufffd" in raw.pages[0] and "â€" not in raw.pages[0]


def test_utf16_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    from indexer.corpus import discover
    from indexer.loaders import load

    (tmp_path / "r.txt").write_bytes("Police disruption – a report.\r\nSecond line.".encode("utf-16"))
    assert load(discover(tmp_path)[0]).pages[0] == "Police disruption – a report.\nSecond line."


def test_pdf_passages_keep_their_pages_through_the_index(tmp_path: Path) -> None:
    from indexer.build import build_index
    from indexer.embedding import FakeEmbedder
    from indexer.store import open_index
    from tests.conftest import fake_settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    make_pdf(corpus / "paged.pdf", pages=3)
    settings = fake_settings(corpus, tmp_path / "index")
    build_index(settings, embedder=FakeEmbedder(), progress=False)
    passages = open_index(settings.index_dir).passages
    pages = {p.page_start for p in passages}
    assert None not in pages and pages >= {1, 2, 3}, "every passage of a PDF has its page, read back from disk"
    assert all(p.page_end >= p.page_start for p in passages)


# --- one battery over every registered loader (indexer.loaders.LOADERS) ---------------------------------
# A new loader is tested by adding a sample maker for its suffix here; a loader without one fails
# test_every_loader_has_a_sample.
BATTERY_SENTENCE = "Officers served a child abduction warning notice to break contact with a child at risk."


def _sample_text(path: Path) -> Path:
    path.write_text(f"Warning notices\n\n{BATTERY_SENTENCE}\n", encoding="utf-8")
    return path


def _sample_markdown(path: Path) -> Path:
    path.write_text(f"# Warning notices\n\n{BATTERY_SENTENCE}\n", encoding="utf-8")
    return path


def _sample_pdf(path: Path) -> Path:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=16)
    pdf.cell(0, 10, "Warning notices")
    pdf.ln(14)
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(0, 6, BATTERY_SENTENCE)
    pdf.output(str(path))
    return path


SAMPLES = {".txt": _sample_text, ".md": _sample_markdown, ".pdf": _sample_pdf}


def _sample(suffix: str, folder: Path, stem: str = "sample") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return SAMPLES[suffix.lower()](folder / f"{stem}{suffix}")


def test_every_loader_has_a_sample() -> None:
    assert set(SAMPLES) == set(LOADERS) == set(supported_suffixes())


@pytest.mark.parametrize("suffix", sorted(LOADERS) + [s.upper() for s in sorted(LOADERS)])
def test_each_loader_reads_its_format_into_a_structured_document(tmp_path: Path, suffix: str) -> None:
    raw = load(_source(_sample(suffix, tmp_path)))
    assert raw.pages and raw.format in ("text", "markdown", "pdf")
    doc = build_document(raw, DocumentMeta(doc_id="sample", file=f"sample{suffix}", title="T", short_title="T"))
    assert BATTERY_SENTENCE in doc.text
    assert [b.block.text for b in doc.blocks if b.kind == "heading"] == ["Warning notices"]


@pytest.mark.parametrize("suffix", sorted(LOADERS))
def test_each_loader_refuses_an_empty_file_saying_so(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(b"")
    with pytest.raises(LoadError, match=f"empty{suffix}: the file is empty"):
        load(_source(path))


@pytest.mark.parametrize("suffix", sorted(LOADERS))
def test_each_loader_refuses_binary_garbage_with_a_reason(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"garbage{suffix}"
    path.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(LoadError) as caught:
        load(_source(path))
    assert caught.value.path == path and caught.value.reason and str(caught.value).startswith(f"garbage{suffix}: ")


@pytest.mark.parametrize("suffix", sorted(LOADERS))
def test_each_loader_s_reports_are_indexed_and_found(tmp_path: Path, suffix: str) -> None:
    from indexer.build import build_index
    from indexer.embedding import FakeEmbedder
    from indexer.store import open_index
    from tests.conftest import fake_settings

    _sample(suffix, tmp_path / "corpus", "notices-report")
    settings = fake_settings(tmp_path / "corpus", tmp_path / "index")
    report = build_index(settings, embedder=FakeEmbedder(), progress=False)
    assert report.skipped == [] and report.counts.documents == 1
    passages = open_index(settings.index_dir).passages
    assert {p.doc_id for p in passages} == {"notices-report"}
    assert any(BATTERY_SENTENCE in p.text for p in passages)


def test_nul_bytes_anywhere_in_a_text_file_are_removed_never_indexed(tmp_path: Path, caplog) -> None:
    """The binary check once looked at the first 64 KB only: NULs after it were indexed and sent raw to
    the reader's page (issue 22, D18). A few NULs anywhere are dropped; a file full of them is binary."""
    from indexer.build import build_index
    from indexer.embedding import FakeEmbedder
    from indexer.store import open_index
    from tests.conftest import fake_settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    para = "Police disruption relies on warning notices and information sharing between agencies.\n\n"
    (corpus / "late.md").write_bytes(("# NUL report\n\n" + para * 900).encode()
                                     + b"Tail with NUL\x00bytes\x00inside nulzebra words.\n\n" + para.encode())
    assert (corpus / "late.md").read_bytes().index(b"\x00") > 65536
    (corpus / "early.txt").write_bytes(b"Early report\n\nabc\x00def " + para.encode() * 20)
    (corpus / "binary.txt").write_bytes(b"Report\n" + b"\x00ab\x00cd\x00" * 2000)
    settings = fake_settings(corpus, tmp_path / "index")
    report = build_index(settings, embedder=FakeEmbedder(), progress=False)
    assert report.skipped == [("binary.txt", "the file looks binary, not text (many control characters and "
                                             "NUL bytes)")]
    reader = open_index(settings.index_dir)
    assert not any("\x00" in p.text for p in reader.passages)
    assert not any("\x00" in d.text for d in reader.documents.values())
    assert any("NULbytesinside nulzebra" in p.text for p in reader.passages)
    assert any("abcdef" in p.text for p in reader.passages)
    assert "late.md: 2 NUL or control characters removed" in caplog.messages


def test_control_characters_are_cleaned_from_every_format() -> None:
    from indexer.cleaning import normalize_unicode

    assert normalize_unicode("a\x00b\x07c\td\ne\x0cf\x1bg\x7fh") == "abc\td\ne\x0cfgh"
