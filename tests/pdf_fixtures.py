"""PDF fixtures for the structure tests, written with fpdf2 (and one with headless Chromium) at test
time: no binary files are committed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import browser_support
from fpdf import FPDF

BODY = ("Officers said the order was easy to apply for and quick to take effect, and that it stopped "
        "the suspect from contacting the child. Several respondents asked for more guidance on when to use it.")
HEADER = "ANNUAL SAFEGUARDING REPORT 2024"


class ReportPdf(FPDF):
    """An A4 report with an optional running header and a 'Page N' footer on every page."""

    def __init__(self, running: bool = False) -> None:
        super().__init__(format="A4")
        self.running = running
        self.set_auto_page_break(True, margin=20)
        self.set_margins(20, 20, 20)

    def header(self) -> None:
        if self.running:
            self.set_font("Helvetica", size=8)
            self.set_xy(20, 8)
            self.cell(0, 5, HEADER)
            self.set_xy(20, 20)

    def footer(self) -> None:
        if self.running:
            self.set_font("Helvetica", size=8)
            self.set_xy(20, -14)
            self.cell(0, 5, f"Page {self.page_no()}")

    def heading(self, text: str, size: float, bold: bool = True, outline_level: int | None = None) -> None:
        self.set_font("Helvetica", "B" if bold else "", size)
        if outline_level is not None:
            self.start_section(text, level=outline_level)
        self.ln(3)
        self.multi_cell(0, size * 0.5, text)
        self.ln(2)

    def paragraph(self, text: str = BODY) -> None:
        self.set_font("Helvetica", size=10)
        self.multi_cell(0, 5, text)
        self.ln(4)


def outline_pdf(path: Path) -> Path:
    """(a) Headings all printed alike (bold, body size + 2) whose nesting only the outline gives."""
    pdf = ReportPdf()
    pdf.set_title("Outline Test Report")
    pdf.add_page()
    pdf.heading("Background", 12, outline_level=0)
    pdf.paragraph("The background section explains why the study was commissioned by the board.")
    pdf.heading("Method details", 12, outline_level=1)
    pdf.paragraph("Two surveys were run in the spring and the summer of the study year.")
    pdf.add_page()
    pdf.heading("Findings", 12, outline_level=0)
    pdf.paragraph("Most respondents had used a warning notice at least once in the past year.")
    pdf.heading("Orders in practice", 12, outline_level=1)
    pdf.paragraph("Orders were seen as effective when they were monitored by a named officer.")
    pdf.output(str(path))
    return path


def layout_pdf(path: Path) -> Path:
    """(b) No outline; unnumbered headings in three sizes, body text at 10 pt."""
    pdf = ReportPdf()
    pdf.add_page()
    pdf.heading("Overview of the study", 18)
    pdf.paragraph("The overview describes the aims of the study and who took part in it.")
    pdf.heading("Local context", 14)
    pdf.paragraph("Local context matters because forces differ in size and in their resources.")
    pdf.heading("Schools and colleges", 11)
    pdf.paragraph("Schools were the most common setting for the concerns that were reported.")
    pdf.add_page()
    pdf.heading("What respondents told us", 18)
    pdf.paragraph("Respondents described both successes and barriers in their daily work.")
    pdf.output(str(path))
    return path


def table_pdf(path: Path) -> Path:
    """(c) A ruled table with a caption above it that spans its columns, and a note under it."""
    pdf = ReportPdf()
    pdf.add_page()
    pdf.heading("Survey respondents", 16)
    pdf.paragraph("The survey reached officers in every region, as the table below shows.")
    pdf.set_font("Helvetica", "B", 10)
    pdf.multi_cell(0, 5, "Table 3. Frontline survey respondents by police region and by the number of forces")
    pdf.ln(1)
    pdf.set_font("Helvetica", size=10)
    with pdf.table(col_widths=(60, 40, 40), first_row_as_headings=True) as table:
        for row in (("Police region", "No. of respondents", "No. of forces"), ("Wales", "11", "4"),
                    ("North West", "35", "5"), ("Total", "98", "32")):
            r = table.row()
            for cell in row:
                r.cell(cell)
    pdf.ln(4)
    pdf.paragraph("Most respondents worked in response teams rather than in specialist units.")
    pdf.output(str(path))
    return path


def body_captions_pdf(path: Path) -> Path:
    """Captions set in body type, at body line spacing: a table caption straight after a paragraph, and a
    figure caption wrapped over two lines with a paragraph straight after it."""
    pdf = ReportPdf()
    pdf.add_page()
    pdf.heading("Survey respondents", 16)
    pdf.set_font("Helvetica", size=10)
    for text in ("The survey reached officers in every region, as the table below shows.",
                 "Table 3. Frontline survey respondents by police region"):
        pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
    with pdf.table(col_widths=(60, 40, 40), first_row_as_headings=True) as table:
        for row in (("Police region", "No. of respondents", "No. of forces"), ("Wales", "11", "4"),
                    ("Total", "98", "32")):
            r = table.row()
            for cell in row:
                r.cell(cell)
    pdf.ln(4)
    for text in (FIGURE_CAPTION, FIGURE_FOLLOWER):
        pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


FIGURE_CAPTION = ("Figure 2. Frontline survey respondents' experience of training on child sexual abuse in their "
                  "current role and in previous roles")
FIGURE_FOLLOWER = "Nearly three quarters of the respondents said that they had been trained in their current role."


def running_pdf(path: Path, pages: int = 4) -> Path:
    """(d) A running header and page-number footer on every page, a heading and body on each."""
    pdf = ReportPdf(running=True)
    for n in range(1, pages + 1):
        pdf.add_page()
        pdf.heading(f"Part {n} of the findings", 14)
        pdf.paragraph(f"Finding number {n} is that officers wanted clearer guidance on disruption orders.")
    pdf.output(str(path))
    return path


CONTENTS = [("1. Introduction", 2, 0), ("1.1 Background", 2, 1), ("2. Findings", 3, 0),
            ("2.1 Use of orders", 3, 1), ("Glossary of terms", 4, 0)]


def contents_pdf(path: Path) -> Path:
    """(e) A printed contents page, then numbered headings and an unnumbered 'Glossary of terms'
    that the contents list puts at the top level."""
    pdf = ReportPdf()
    pdf.add_page()
    pdf.heading("Contents", 16)
    pdf.set_font("Helvetica", size=10)
    for title, page, indent in CONTENTS:
        pdf.set_x(20 + 8 * indent)
        pdf.cell(120 - 8 * indent, 6, title)
        pdf.cell(0, 6, str(page), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.heading("1. Introduction", 16)
    pdf.paragraph("The introduction sets out the questions the study set out to answer.")
    pdf.heading("1.1 Background", 13)
    pdf.paragraph("Background work had shown that disruption was rarely recorded consistently.")
    pdf.add_page()
    pdf.heading("2. Findings", 16)
    pdf.heading("2.1 Use of orders", 13)
    pdf.paragraph("Orders were used most often against suspects who were already known to the police.")
    pdf.add_page()
    pdf.heading("Glossary of terms", 13)
    pdf.paragraph("A child abduction warning notice is a letter that tells a person to keep away from a child.")
    pdf.output(str(path))
    return path


def metadata_pdf(path: Path, title: str, author: str, heading: str = "Introduction") -> Path:
    """A small PDF with /Title and /Author metadata."""
    pdf = ReportPdf()
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.add_page()
    pdf.heading(heading, 16)
    pdf.paragraph()
    pdf.output(str(path))
    return path


CHROMIUM_HTML = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Chromium Test Report</title>
<style>body { font-family: serif; font-size: 11pt; } h1 { font-size: 20pt; } h2 { font-size: 16pt; }
h3 { font-size: 13pt; } table { border-collapse: collapse; } td, th { border: 1px solid #000; padding: 2px; }
.next { break-before: page; }</style></head><body>
<h1>1. Introduction</h1>
<p>This report describes how frontline officers disrupt abuse<sup>1</sup> and what helps them to do so.</p>
<h2>1.1 Aims of the study</h2>
<p>The study aimed to find out which disruption measures officers use most often.</p>
<h3>1.1.1 Research questions</h3>
<p>Three research questions guided the analysis of the survey responses.</p>
<h1 class="next">2. Method</h1>
<h2>2.1 Respondents</h2>
<p>Respondents came from every police region, as the following table shows.</p>
<p><b>Table 1. Respondents by police region</b></p>
<table><thead><tr><th>Police region</th><th>No. of respondents</th></tr></thead>
<tbody><tr><td>Wales</td><td>11</td></tr><tr><td>North West</td><td>35</td></tr>
<tr><td>Total</td><td>98</td></tr></tbody>
</table>
<p>Most respondents worked in response teams rather than in specialist units.</p>
</body></html>"""

# A report as a small organisation publishes it, with no manifest entry: a cover page with the title
# (a generic subtitle after the colon), the authors, the organisation and the date; the body after it.
COVER_HTML = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<style>body { font-family: serif; font-size: 11pt; } h1 { font-size: 26pt; margin-top: 6cm; }
.cover p { text-align: center; font-size: 13pt; } .next { break-before: page; }</style></head><body>
<div class="cover"><h1>Community Speedwatch in Rural Villages: An Evaluation</h1>
<p>by Jane Smith and Tom Okafor</p>
<p>Rural Policing Research Trust</p>
<p>March 2024</p></div>
<h2 class="next">1. Introduction</h2>
<p>Community Speedwatch volunteers recorded the speed of passing vehicles in twelve villages in 2019 and again
in 2022, and this evaluation compares the two years.</p>
<h2>2. Findings</h2>
<p>Speeds fell in most villages where volunteers were out at least once a week, according to the
police figures collected for the evaluation.</p>
</body></html>"""

CHROMIUM = Path(browser_support.CHROMIUM)  # the one Chromium the browser tests require


def chromium_pdf(html: str, folder: Path, name: str = "chromium") -> Path:
    """Print an HTML page to PDF with headless Chromium's command line."""
    html_path = folder / f"{name}.html"
    html_path.write_text(html, encoding="utf-8")
    pdf_path = folder / f"{name}.pdf"
    subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf_path}", str(html_path)], check=True, capture_output=True, timeout=120)
    return pdf_path


LEFT = ("Officers in the north described the warning notices as quick to issue and effective when a named "
        "officer followed them up within a week of the notice being served on the suspect.")
RIGHT = ("Officers in the south said the orders took months to obtain and were rarely monitored, so "
         "suspects soon learnt that a breach would go unnoticed by the local team.")


def columns_pdf(path: Path) -> Path:
    """A two-column page under a full-width heading: each column has its own heading and text."""
    pdf = ReportPdf()
    pdf.add_page()
    pdf.heading("Regional differences in disruption", 18)
    top = pdf.get_y()
    for x, title, text in ((20, "Northern forces", LEFT), (110, "Southern forces", RIGHT)):
        pdf.set_xy(x, top)
        pdf.set_font("Helvetica", "B", 14)
        pdf.multi_cell(80, 7, title)
        pdf.set_x(x)
        pdf.set_font("Helvetica", size=10)
        pdf.multi_cell(80, 5, text)
    pdf.output(str(path))
    return path


def flat_outline_pdf(path: Path) -> Path:
    """Numbered headings whose bookmarks are all at the top level (as a tool that ignores nesting
    writes them): the numbers, not the outline, give the levels."""
    pdf = ReportPdf()
    pdf.add_page()
    for title, text in (("1. Introduction", "The introduction explains the scope of the work."),
                        ("1.1 Aims", "The aims were agreed with the steering group in advance."),
                        ("1.2 Scope", "The scope covers every force in England and Wales."),
                        ("2. Findings", "The findings are grouped by type of disruption measure."),
                        ("2.1 Orders", "Orders were the measure respondents named most often.")):
        pdf.heading(title, 13, outline_level=0)
        pdf.paragraph(text)
    pdf.output(str(path))
    return path


# --- hand-built PDFs for hostile inputs (after ../shared/hostile/make_pdfs.py), small enough to make per test --
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
TEXT_OPS = b"BT /F1 11 Tf 72 760 Td (Police disruption of child sexual abuse relies on warning notices.) Tj ET\n"


def raw_pdf(objects: dict[int, bytes], root: int = 1) -> bytes:
    """A PDF of ``objects`` ({number: body}) with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref, size = len(out), max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += (b"%010d 00000 n \n" % offsets[number]) if number in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, xref)
    return bytes(out)


def drawing_pdf(path: Path, pages: list[bytes], declared: int | None = None) -> Path:
    """One page per drawing-instruction stream in ``pages`` (each compressed, after a line of text); the
    page tree declares ``declared`` pages (default: as many as there are)."""
    import zlib

    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>", 3: FONT}
    kids = []
    for n, body in enumerate(pages):
        page, content = 10 + 2 * n, 11 + 2 * n
        kids.append(b"%d 0 R" % page)
        objects[page] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> "
                         b">> /Contents %d 0 R >>" % content)
        data = zlib.compress(TEXT_OPS + body, 9)
        objects[content] = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    count = len(pages) if declared is None else declared
    objects[2] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % count
    path.write_bytes(raw_pdf(objects))
    return path


def paths(n: int) -> bytes:
    """``n`` drawn line segments: seven operators and operands each."""
    return b"1 1 m 2 2 l S\n" * n
