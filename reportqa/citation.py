"""One citation formatter for every consumer (web cards, the API, the CLI): a passage of a report
as a Harvard, APA, RIS or BibTeX reference, with its section, its page and a link back to it.

Pages are cited honestly: an exact page where the source has pages ("p. 44", "pp. 44–45"), or
the printed start page of its section where only the report's contents list gives one
("section begins p. 44", or "§6.1 begins p. 31" when the page belongs to an enclosing section).

The passage link is ``{base}/doc/{doc_id}?p={passage_id}&s={section}&t={text anchor}#p-{passage_id}``:
when the passage id changes after a re-index, the reader finds the passage again by its text
anchor, else its section (see ``web.pages.reader``). When the base URL is a loopback address
(REPORTQA_PUBLIC_BASE_URL unset on a server bound to 127.0.0.1), a passage link would only work on
the machine that made it, so citations leave it out and keep the publisher's URL.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote, urlencode, urlsplit

from reportqa.records import DocumentMeta, Passage
from reportqa.settings import is_loopback

NUMBERED = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*)\.?\s+(.+)$")
FRONT_MATTER = "Front matter"
ANCHOR_WORDS = 8
ANCHOR_MAX_CHARS = 60
YEAR = re.compile(r"(?<![0-9])(1[89][0-9]{2}|20[0-9]{2})(?![0-9])")
TITLE_STOPWORDS = frozenset({"a", "an", "the", "of", "on", "in", "and", "for", "to"})
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


@dataclass(frozen=True)
class Author:
    """One author as family name and given names (no affiliation)."""

    family: str
    given: str = ""

    @property
    def initials(self) -> str:
        """'N.' for 'Nadia', 'M.-J.' for 'Mary-Jane', 'J.R.' for 'John Ronald' or 'J. R.'."""
        out = []
        for name in self.given.replace(".", " ").split():
            out.append("-".join(part[0].upper() + "." for part in name.split("-") if part))
        return "".join(out)

    @property
    def inverted(self) -> str:
        """'Wager, Nadia' (RIS, BibTeX)."""
        return f"{self.family}, {self.given}" if self.given else self.family

    @property
    def short(self) -> str:
        """'Wager, N.' (Harvard, APA)."""
        return f"{self.family}, {self.initials}" if self.initials else self.family


INITIALS_ONLY = re.compile(r"^(?:[A-Z]\.?\s*-?\s*)+$")
SINGLE_NAME = re.compile(r"^[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*$")  # 'Smith', 'O’Brien', 'Mary-Jane'


def parse_author(name: str) -> Author | None:
    """'Wager, Nadia' or 'Nadia Wager' (a trailing '(affiliation)' dropped) as an Author."""
    name = re.sub(r"\([^)]*\)", " ", name)
    name = re.sub(r"\s+", " ", name).strip(" ,;")
    if not name:
        return None
    if "," in name:
        family, given = (part.strip() for part in name.split(",", 1))
        return Author(family, given)
    words = name.split()
    return Author(words[-1], " ".join(words[:-1]))


def _family_given(text: str) -> bool:
    """Whether ``text`` is one 'Family, Given' name: one comma, no 'and' or '&', and a single
    name (not initials) on each side. 'Smith, John' is; 'Nadia Wager, Alexandra Myers' is not."""
    if text.count(",") != 1 or re.search(r"\band\b|&", text):
        return False
    family, given = (part.strip() for part in text.split(","))
    return bool(SINGLE_NAME.match(family) and SINGLE_NAME.match(given) and not INITIALS_ONLY.match(given))


def parse_authors(value: str | Sequence[str]) -> tuple[Author, ...]:
    """Authors from a manifest: a list of names, or one string such as 'Nadia Wager, Alexandra Myers
    and Diana Parkinson (University of Huddersfield)' or 'Wager, N.; Myers, A.' or 'Wager, N., Myers, A.',
    or 'Family, Given' names such as 'Smith, John' (PDF metadata) or 'Smith, John and Jones, Amir' (BibTeX).
    Affiliations in parentheses are left out."""
    if not isinstance(value, str):
        return tuple(a for a in (parse_author(v) for v in value) if a)
    text = re.sub(r"\([^)]*\)", " ", value).strip()
    if ";" in text:
        names = text.split(";")
    else:
        pieces = [p.strip() for p in re.split(r",|\band\b|&", text) if p.strip()]
        if len(pieces) >= 2 and len(pieces) % 2 == 0 and all(INITIALS_ONLY.match(p) for p in pieces[1::2]):
            names = [f"{f}, {g}" for f, g in zip(pieces[::2], pieces[1::2])]
        else:  # 'and' or '&' separates authors; each part is one 'Family, Given' name or a list of names
            names = [name for part in re.split(r"\band\b|&", text)
                     for name in ([part] if _family_given(part) else part.split(","))]
    return tuple(a for a in (parse_author(n) for n in names) if a)


def deepest_heading(passage: Passage) -> str:
    """The deepest heading of the passage's section trail ('' in the front matter)."""
    heading = passage.section[-1] if passage.section else ""
    return "" if heading == FRONT_MATTER else heading


def section_ref(heading: str) -> str:
    """'§6.1.1 Child abduction warning notices' for a numbered heading, the heading itself otherwise."""
    match = NUMBERED.match(heading)
    return f"§{match.group(1)} {match.group(2)}" if match else heading


def section_key(heading: str) -> str:
    """What a link carries to find the section again: its number ('6.1.1') or a slug of its title."""
    match = NUMBERED.match(heading)
    if match:
        return match.group(1)
    return re.sub(r"[^a-z0-9]+", "-", fold_ascii(heading).lower()).strip("-")


def _short_section(heading: str) -> str:
    match = NUMBERED.match(heading)
    return f"§{match.group(1)}" if match else f"“{heading}”"


def page_ref(passage: Passage) -> str:
    """'p. 44', 'pp. 44–45', 'section begins p. 44', '§6.1 begins p. 31', or '' when unknown."""
    if passage.page_start:
        end = passage.page_end
        if end and end != passage.page_start:
            return f"pp. {passage.page_start}–{end}"
        return f"p. {passage.page_start}"
    if passage.section_page:
        if not passage.section_page_of or passage.section_page_of == deepest_heading(passage):
            return f"section begins p. {passage.section_page}"
        return f"{_short_section(passage.section_page_of)} begins p. {passage.section_page}"
    return ""


def fold_ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def text_anchor(text: str) -> str:
    """The first few words of a passage (whole words, at most ANCHOR_MAX_CHARS characters)."""
    words = text.replace("\t", " ").split()[:ANCHOR_WORDS]
    out = ""
    for word in words:
        candidate = f"{out} {word}".strip()
        if len(candidate) > ANCHOR_MAX_CHARS:
            break
        out = candidate
    return out or text.strip()[:ANCHOR_MAX_CHARS]


def passage_link(base_url: str, passage: Passage) -> str:
    """The reader link of a passage, robust to a re-index (see the module docstring)."""
    params = {"p": passage.passage_id}
    heading = deepest_heading(passage)
    if heading:
        params["s"] = section_key(heading)
    params["t"] = text_anchor(passage.text)
    query = urlencode(params, quote_via=quote, safe="")
    return f"{base_url.rstrip('/')}/doc/{quote(passage.doc_id, safe='')}?{query}#p-{passage.passage_id}"


@dataclass(frozen=True)
class CitationParts:
    """The pieces a citation is made of, already in display form."""

    authors: tuple[Author, ...]
    year: str
    title: str
    publisher: str
    place: str
    url: str
    section: str  # '§6.1.1 Child abduction warning notices', or '' in the front matter
    page: str  # see page_ref
    link: str  # the passage in the reader; '' when the server has no public address (see Citer)
    accessed: date


@dataclass(frozen=True)
class FormattedCitation:
    """One passage's reference in every supported style."""

    parts: CitationParts
    harvard: str
    apa: str
    ris: str
    bibtex: str

    def formats(self) -> dict[str, str]:
        return {"harvard": self.harvard, "apa": self.apa, "ris": self.ris, "bibtex": self.bibtex}


def _long_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _join_names(names: list[str], last: str) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + last + names[-1]


def _locator(parts: CitationParts) -> str:
    return ", ".join(x for x in (parts.section, parts.page) if x)


def harvard(parts: CitationParts) -> str:
    """Cite Them Right Harvard for a report, with the section and page and the passage link."""
    who = _join_names([a.short for a in parts.authors], " and ") or parts.publisher
    title = parts.title.rstrip(".")
    out = f"{who} ({parts.year or 'no date'}) {title}." if who else f"{title} ({parts.year or 'no date'})."
    published = ": ".join(x for x in (parts.place, parts.publisher) if x)
    out += f" {published}." if published else ""
    locator = _locator(parts)
    out += f" {locator}." if locator else ""
    accessed = f"(Accessed: {_long_date(parts.accessed)})"
    if parts.url:
        out += f" Available at: {parts.url} {accessed}."
        out += f" Passage: {parts.link}" if parts.link else ""
    elif parts.link:
        out += f" Available at: {parts.link} {accessed}."
    return out


def apa(parts: CitationParts) -> str:
    """APA 7 for a report (publisher, no place), the locator in brackets after the title."""
    names = [a.short for a in parts.authors]
    who = (", ".join(names[:-1]) + ", & " + names[-1]) if len(names) > 1 else "".join(names)
    title = parts.title.rstrip(".")
    locator = _locator(parts)
    title_part = f"{title} ({locator})." if locator else f"{title}."
    when = f"({parts.year or 'n.d.'})."
    out = f"{who} {when} {title_part}" if who else f"{title_part} {when}"
    if parts.publisher and parts.publisher != who:
        out += f" {parts.publisher}."
    if parts.url:
        out += f" {parts.url}"
    day = parts.accessed
    if parts.link:
        out += f" Passage retrieved {MONTHS[day.month - 1]} {day.day}, {day.year}, from {parts.link}"
    return out


def ris(parts: CitationParts, passage: Passage) -> str:
    """An RIS record (TY RPRT … ER); SP/EP only for exact pages, the section start goes in N1."""
    lines = ["TY  - RPRT"]
    lines += [f"AU  - {a.inverted}" for a in parts.authors]
    if parts.year:
        lines.append(f"PY  - {parts.year}")
    lines.append(f"TI  - {parts.title}")
    if parts.publisher:
        lines.append(f"PB  - {parts.publisher}")
    if parts.place:
        lines.append(f"CY  - {parts.place}")
    if parts.url or parts.link:
        lines.append(f"UR  - {parts.url or parts.link}")
    if passage.page_start:
        lines.append(f"SP  - {passage.page_start}")
        if passage.page_end and passage.page_end != passage.page_start:
            lines.append(f"EP  - {passage.page_end}")
    note = "; ".join(x for x in (parts.section, parts.page, f"passage: {parts.link}" if parts.link else "") if x)
    if note:
        lines.append(f"N1  - {note}")
    lines.append(f"Y2  - {parts.accessed:%Y/%m/%d}")
    lines.append("ER  - ")
    return "\n".join(lines)


BIBTEX_SPECIALS = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
                   "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "§": r"\S{}",
                   "–": "--", "—": "---"}


def bibtex_escape(text: str) -> str:
    """Text safe inside a BibTeX field: TeX specials and braces escaped, dashes as TeX dashes."""
    return "".join(BIBTEX_SPECIALS.get(ch, ch) for ch in text)


def _url_escape(url: str) -> str:
    """A URL inside \\url{…} in a BibTeX note: only the characters BibTeX itself trips on."""
    return url.replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D").replace("%", r"\%").replace("#", r"\#")


def report_key(parts: CitationParts, fallback: str) -> str:
    """The report's part of a key: first author's family name (else ``fallback``, the report id), year,
    first word of the title and, for a title with a subtitle, the subtitle's first word
    ('wager2021policefindings')."""
    def first_word(text: str) -> str:
        words = [w for w in re.findall(r"[a-z0-9]+", fold_ascii(text).lower()) if w not in TITLE_STOPWORDS]
        return words[0] if words else ""

    who = re.sub(r"[^a-z]", "", fold_ascii(parts.authors[0].family).lower()) if parts.authors else ""
    title, _, subtitle = parts.title.partition(":")
    key = f"{who or re.sub(r'[^a-z0-9]', '', fallback.lower())}{parts.year}{first_word(title)}{first_word(subtitle)}"
    return key or "report"


def bibtex_key(parts: CitationParts, passage: Passage) -> str:
    """A key distinct per passage and stable across re-indexing, so that several passages of one
    report can sit in one .bib file: the report's key, the section number (when the section is
    numbered) and the passage's content hash ('wager2021policefindings-6.1.1-3f2a9c1b0d')."""
    heading = deepest_heading(passage)
    number = NUMBERED.match(heading)
    own = passage.passage_id[len(passage.doc_id) + 1:] if passage.passage_id.startswith(passage.doc_id + "-") \
        else passage.passage_id
    pieces = [report_key(parts, passage.doc_id), number.group(1) if number else "", re.sub(r"[^A-Za-z0-9]", "", own)]
    return "-".join(p for p in pieces if p)


def bibtex(parts: CitationParts, passage: Passage) -> str:
    """A @techreport entry; pages only when exact."""
    fields = []
    if parts.authors:
        fields.append(("author", " and ".join(bibtex_escape(a.inverted) for a in parts.authors)))
    fields.append(("title", "{" + bibtex_escape(parts.title) + "}"))
    if parts.publisher:
        fields.append(("institution", bibtex_escape(parts.publisher)))
    if parts.place:
        fields.append(("address", bibtex_escape(parts.place)))
    if parts.year:
        fields.append(("year", parts.year))
    if parts.url:
        fields.append(("url", _url_escape(parts.url).replace(r"\%", "%").replace(r"\#", "#")))
    if passage.page_start:
        end = passage.page_end if passage.page_end and passage.page_end != passage.page_start else None
        fields.append(("pages", f"{passage.page_start}--{end}" if end else str(passage.page_start)))
    note = "; ".join(bibtex_escape(x) for x in (parts.section, parts.page) if x)
    if parts.link:
        note = (note + ". " if note else "") + r"Passage: \url{" + _url_escape(parts.link) + "}"
    if note:
        fields.append(("note", note))
    if parts.url or parts.link:
        fields.append(("urldate", parts.accessed.isoformat()))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@techreport{{{bibtex_key(parts, passage)},\n{body}\n}}"


def publication_year(meta: DocumentMeta) -> str:
    """The year of publication in the report's date, however it is written ('March 2021', '2021-03-04',
    '04/03/2021'), or '' when it has none."""
    found = YEAR.search(meta.date)
    return meta.year or (found.group(1) if found else "")


def citation_parts(meta: DocumentMeta, passage: Passage, link: str, accessed: date | None = None) -> CitationParts:
    """The pieces of a passage's citation from its report's metadata."""
    authors = parse_authors(meta.author_names) if meta.author_names else parse_authors(meta.authors)
    return CitationParts(
        authors=authors, year=publication_year(meta), title=meta.title.strip(), publisher=meta.publisher.strip(),
        place=meta.place.strip(), url=meta.url.strip(), section=section_ref(deepest_heading(passage)),
        page=page_ref(passage), link=link, accessed=accessed or date.today())


def format_citation(meta: DocumentMeta, passage: Passage, link: str, accessed: date | None = None
                    ) -> FormattedCitation:
    """The passage's reference in Harvard, APA, RIS and BibTeX."""
    parts = citation_parts(meta, passage, link, accessed)
    return FormattedCitation(parts=parts, harvard=harvard(parts), apa=apa(parts), ris=ris(parts, passage),
                             bibtex=bibtex(parts, passage))


def is_local_address(base_url: str) -> bool:
    """True when ``base_url`` points at this machine only (http://127.0.0.1:8000, http://localhost)."""
    host = urlsplit(base_url).hostname
    return host is None or is_loopback(host)


class Citer:
    """Cites passages of a set of reports, linking them under one public base URL. A loopback base URL
    is no address to give anyone: then citations carry no passage link (``links_passages`` is False)."""

    def __init__(self, documents: Mapping[str, DocumentMeta], base_url: str, accessed: date | None = None) -> None:
        self.documents = documents
        self.base_url = base_url.rstrip("/")
        self.accessed = accessed
        self.links_passages = not is_local_address(self.base_url)

    def link(self, passage: Passage) -> str:
        """The passage's link for a citation, or '' when the base URL is a loopback address."""
        return passage_link(self.base_url, passage) if self.links_passages else ""

    def __call__(self, passage: Passage) -> FormattedCitation | None:
        meta = self.documents.get(passage.doc_id)
        if meta is None:
            return None
        return format_citation(meta, passage, self.link(passage), self.accessed)
