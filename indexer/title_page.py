"""Who wrote a report, when, and for which organisation, read from its first page, for a report that
has no manifest entry (so that its citation is not '(no date)' with no author).

The rules are conservative: a fact is taken only from a short line of the first page, above the body
text, that has one job. An author line starts with 'by' or 'Author(s):' and holds only names; a date
line holds a year (19xx or 20xx) and at most a month, a day or 'Published'; an organisation line is a
short capitalised name ending in a word such as 'Trust', 'Council' or 'Constabulary'. A page that
shows none of them gives nothing: a wrong author in a citation is worse than none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reportqa.text import match_key

# The body text starts at the first line this long: facts are read only above it.
BODY_LINE_WORDS = 14
MONTHS = ("january february march april may june july august september october november december "
          "jan feb mar apr jun jul aug sep sept oct nov dec").split()
AUTHOR_LINE = re.compile(r"^(?:by|written by|authors?\s*:|prepared by)\s+(?P<names>.+)$", re.IGNORECASE)
NAME = r"(?:Dr\.?\s+|Prof\.?\s+|Professor\s+)?[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){1,3}"
NAMES = re.compile(rf"^{NAME}(?:\s*(?:,|;|\band\b|&)\s*{NAME})*$")
YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
COPYRIGHT = re.compile(r"^(?:©|\(c\)|copyright)\s*(?:(?:19|20)\d{2}\b)?\s*", re.IGNORECASE)
DATE_WORDS = frozenset(MONTHS + ["published", "publication", "date", "first", "©", "(c)", "copyright", "of", "the"])
# The last word of an organisation's name.
ORGANISATION_HEADS = frozenset(
    "trust council constabulary police service services university college institute institution centre center "
    "foundation office department ministry agency commission partnership society association unit board "
    "charity group network authority inspectorate".split())
SMALL_WORDS = frozenset("of for the and in on at & to".split())


@dataclass(frozen=True)
class TitlePage:
    """Facts printed on a report's first page ('' where the page shows none)."""

    authors: str = ""  # as printed: 'Jane Smith and Tom Okafor'
    date: str = ""  # as printed: 'March 2024'
    organisation: str = ""  # 'Rural Policing Research Trust'


def _front_lines(first_page: str, title: str) -> list[str]:
    """The short lines of the first page above its body text, without the lines of the title."""
    title_key = match_key(title)
    out = []
    for line in (" ".join(raw.split()) for raw in first_page.splitlines()):
        if not line:
            continue
        if len(line.split()) >= BODY_LINE_WORDS:
            break
        if title_key and match_key(line) and match_key(line) in title_key:
            continue  # a line of the title, which may wrap ('…Villages: An' / 'Evaluation')
        out.append(line)
    return out


def authors_in(line: str) -> str:
    """The names of an author line ('by Jane Smith and Tom Okafor' → 'Jane Smith and Tom Okafor'), or ''."""
    m = AUTHOR_LINE.match(line)
    if not m:
        return ""
    names = m.group("names").strip(" .,;")
    return names if NAMES.match(names) else ""


def date_in(line: str) -> str:
    """The date of a date line ('March 2024', 'Published 2019', '© 2024 Rural Trust' → '2024'), or ''."""
    years = YEAR.findall(line)
    if len(years) != 1:
        return ""
    words = line.replace(",", " ").split()
    rest = [w for w in words if not YEAR.fullmatch(w) and not w.isdigit() and w.lower().strip(":") not in DATE_WORDS]
    if not rest:
        kept = [w for w in words if w.lower().strip(":") not in {"published", "publication", "date", "first"}]
        return " ".join(kept).lstrip("©").strip()
    return years[0] if words[0] in ("©", "(c)") or words[0].lower() == "copyright" else ""


def organisation_in(line: str) -> str:
    """A line that is an organisation's name ('Rural Policing Research Trust'), or ''. A copyright line
    gives the name after its year."""
    text = COPYRIGHT.sub("", line).strip(" .,")
    words = text.split()
    if not 2 <= len(words) <= 10 or YEAR.search(text) or text.endswith(("?", "!")):
        return ""
    if any(not (w[0].isupper() or w.lower() in SMALL_WORDS) for w in words if w[0].isalpha()) \
            or sum(w.lower() not in SMALL_WORDS for w in words) < 2:
        return ""
    return text if words[-1].lower().strip(",.") in ORGANISATION_HEADS else ""


def read_title_page(first_page: str, title: str) -> TitlePage:
    """The authors, date and organisation printed on ``first_page`` near ``title`` (see the module's rules)."""
    authors = date = organisation = ""
    for line in _front_lines(first_page, title):
        authors = authors or authors_in(line)
        date = date or date_in(line)
        if not AUTHOR_LINE.match(line):
            organisation = organisation or organisation_in(line)
    return TitlePage(authors, date, organisation)
