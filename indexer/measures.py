"""Measure cards, built at index time from a report's appendix table of measures and the passages.

1. **The table.** In a section whose title names measures ("Appendix A: Disruption measures"), a
   table whose header has a name column ("Disruption measure"), a type column ("Type") and a
   description column ("Description"). Each body row (not a repeated header) is one measure. Nothing
   is listed by hand, so a future report with a similar appendix gets its cards too.
2. **Names.** The display name is the cell; the acronym is a parenthesis that spells the words before
   it ("Child abduction warning notices (CAWNs)" → CAWN), or a short form the text defines elsewhere
   for the same long form (indexer.acronyms); other names come from "also known as 'X' or 'Y'" in the
   description, a term quoted in the name, and the parts of a name joined by "–", "/" or "including"
   (parts of two words or more); then the aliases of indexer.measure_aliases (said in any report's
   text, a review's section headings, the corpus's curated ``measure-aliases.toml``). Each name
   becomes a key: a sequence of analyzer tokens, so case, plurals and possessives do not matter.
3. **Figures.** A row of another table with a measure column whose cell names the measure (the
   measure with the longest matching key wins the cell), or a figure label naming it.
4. **Passages.** Every other passage of every report that names the measure, or sits under a
   section heading that names it ("Use and effectiveness" under "4.4 Taxi … licensing"), grouped by a
   transparent rule (``classify``) and ranked by how central the measure is to it (``centrality``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from indexer.acronyms import Acronym, best_long_form, is_short_form
from indexer.document import CleanDocument, PlacedBlock
from indexer.measure_aliases import CuratedAliases, add_aliases, aliases_in_text, heading_aliases
from indexer.sentences import split_sentences
from reportqa.measures_records import (
    MeasureCard,
    MeasureCitation,
    MeasureFigure,
    MeasureGroup,
    MeasurePassage,
    count_key,
    measure_tokens,
)
from reportqa.records import DocumentMeta, Passage
from reportqa.settings import MeasureConfig
from reportqa.text import fold, stem, words

SECTION_RE = re.compile(r"\bmeasures?\b", re.IGNORECASE)
NAME_HEADER_RE = re.compile(r"\b(?:measures?|names?)\b", re.IGNORECASE)
TYPE_HEADER_RE = re.compile(r"\b(?:types?|category|categories|approach)\b", re.IGNORECASE)
DESCRIPTION_HEADER_RE = re.compile(r"\bdescriptions?\b", re.IGNORECASE)
PAREN_RE = re.compile(r"\s*\(([^()]*)\)")
ALSO_KNOWN_RE = re.compile(r"also (?:known|referred to) as ([^.;]*)", re.IGNORECASE)
QUOTED_RE = re.compile(r"['‘“\"]([^'’”\"]{2,60})['’”\"]")
PART_SPLIT_RE = re.compile(r"\s+[–—]\s+|\s*/\s*|\s+including\s+", re.IGNORECASE)
BROKEN_HYPHEN_RE = re.compile(r"(\w)- (?=[a-z])")  # "Disruption- supportive", "gang- related"

# Cue words of the grouping rule, matched against the passage's folded words (unstemmed, so
# "working" in "multi-agency working" is not "worked"). A section title cue counts
# ``measure_section_cue_weight`` (the calibration numbers are in MeasureConfig, reportqa.settings).
EFFECTIVENESS_CUES = frozenset("""
    effective effectiveness effectively worked works success successes successful successfully useful
    helpful impact impacts deterrent deter deters deterred benefit benefits beneficial valuable positive
    outcomes reduced reduces
""".split())
CONCERN_CUES = frozenset("""
    concern concerns concerned limitation limitations limited limits barrier barriers breach breaches
    breached breaching challenge challenges challenging however difficult difficulty difficulties problem
    problems lack lacking unable ineffective weakness weaknesses gap gaps inconsistent inconsistency
    unclear delay delays costly burden criticised criticism obstacles obstacle
""".split())


@dataclass(frozen=True)
class MeasureRow:
    """One row of a measures table, before matching."""

    name: str
    type_label: str
    description: str
    doc_id: str
    span: tuple[int, int]  # the row's offsets in the document text (its table_row passage)


def tidy(text: str) -> str:
    """A cell as displayed: broken hyphens rejoined ("gang- related" → "gang-related"), spaces collapsed."""
    return " ".join(BROKEN_HYPHEN_RE.sub(r"\1-", text).split())


def _column(header: list[str], pattern: re.Pattern[str], taken: set[int]) -> int | None:
    return next((i for i, cell in enumerate(header) if i not in taken and pattern.search(cell)), None)


def measure_columns(header: list[str]) -> tuple[int, int, int] | None:
    """(name, type, description) column indexes of a measures table header, or None."""
    description = _column(header, DESCRIPTION_HEADER_RE, set())
    if description is None:
        return None
    kind = _column(header, TYPE_HEADER_RE, {description})
    if kind is None:
        return None
    name = _column(header, NAME_HEADER_RE, {description, kind})
    return None if name is None else (name, kind, description)


def measure_rows(doc: CleanDocument) -> list[MeasureRow]:
    """The rows of every measures table of ``doc`` (see the module docstring, step 1)."""
    rows: list[MeasureRow] = []
    for block in doc.tables:
        if not any(SECTION_RE.search(title) for title in block.section):
            continue
        columns = measure_columns(block.header)
        if columns is None:
            continue
        header_key = [fold(c) for c in block.header]
        for span, cells in zip(block.row_spans, block.body):
            if [fold(c) for c in cells] == header_key or len(cells) <= max(columns):
                continue
            name, kind, description = (tidy(cells[i]) for i in columns)
            if name and kind:
                rows.append(MeasureRow(name, kind, description, doc.meta.doc_id, span))
    return rows


def slug_of(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", fold(PAREN_RE.sub("", name))).strip("-") or "measure"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _singular_short(short: str) -> str:
    return short[:-1] if short.endswith("s") and short[:-1].isupper() else short


def names_of(row: MeasureRow, acronyms: list[Acronym]) -> tuple[str, list[str]]:
    """(acronym, other names) of a measure: see the module docstring, step 2."""
    acronym = ""
    names: list[str] = []
    base = tidy(PAREN_RE.sub("", row.name))
    for match in PAREN_RE.finditer(row.name):
        inner = match.group(1).strip()
        before = row.name[:match.start()]
        if not is_short_form(inner) or best_long_form(_singular_short(inner), before) is None:
            continue
        short = _singular_short(inner)
        rest = tidy(row.name[match.end():])
        if rest:  # "Police National Computer (PNC) markers" → "PNC markers"
            names.append(f"{short} {PAREN_RE.sub('', rest)}".strip())
        elif not acronym:
            acronym = short
    names += [p for p in PART_SPLIT_RE.split(base) if len(measure_tokens(p)) >= 2 and p != base]
    names += [q.strip() for q in QUOTED_RE.findall(base)]  # "High-visibility policing of 'hotspots'"
    for said in ALSO_KNOWN_RE.findall(row.description):
        names += [q.strip() for q in QUOTED_RE.findall(said)]
    own = {tuple(measure_tokens(n)) for n in [base, *names]}
    for found in acronyms:
        if tuple(measure_tokens(found.long)) in own:
            if not acronym:
                acronym = found.short
            elif found.short != acronym:
                names.append(found.short)
    if acronym:
        names.insert(0, acronym)
    seen: set[tuple[str, ...]] = {tuple(measure_tokens(base))}
    unique = []
    for n in names:
        key = tuple(measure_tokens(n))
        if key and key not in seen:
            seen.add(key)
            unique.append(n)
    return acronym, [n for n in unique if n != acronym]


def classify(text: str, section: tuple[str, ...], keys: Sequence[tuple[str, ...]] = (),
             config: MeasureConfig | None = None) -> tuple[MeasureGroup, tuple[str, ...]]:
    """The group of a passage and the cue words that decided it.

    Effectiveness cues (effective, worked, success, useful…) and concern cues (concern, limitation,
    barrier, breach, challenge, however…) are counted in the passage text; a cue in its section
    titles counts ``measure_section_cue_weight`` times (``config``; default ``MeasureConfig()``). A cue
    that is part of the measure's own name ("Letters of concern", from ``keys``) is not counted. No cue:
    "how it works". Otherwise the larger count wins; a tie goes to "concerns", since a limit stated in
    an effectiveness passage is what a reader must not miss.
    """
    weight = (config or MeasureConfig()).measure_section_cue_weight
    tokens = words(text)
    title_tokens = words(" ".join(section))
    eff = _cues(tokens, EFFECTIVENESS_CUES, _inside_names(text, keys))
    con = _cues(tokens, CONCERN_CUES, _inside_names(text, keys))
    title_eff = _cues(title_tokens, EFFECTIVENESS_CUES, _inside_names(" ".join(section), keys))
    title_con = _cues(title_tokens, CONCERN_CUES, _inside_names(" ".join(section), keys))
    eff_score = len(eff) + weight * len(title_eff)
    con_score = len(con) + weight * len(title_con)
    if eff_score == con_score == 0:
        return "how_it_works", ()
    if con_score >= eff_score:
        return "concerns", tuple(dict.fromkeys(con + title_con))
    return "effectiveness", tuple(dict.fromkeys(eff + title_eff))


def _inside_names(text: str, keys: Sequence[tuple[str, ...]]) -> Counter[str]:
    """How many times each token occurs inside the measure's names in ``text``."""
    tokens = measure_tokens(text)
    inside: Counter[str] = Counter()
    for key in keys:
        n = count_key(tokens, key)
        for token in key:
            inside[token] += n
    return inside


def _cues(tokens: list[str], cues: frozenset[str], inside: Counter[str]) -> list[str]:
    """The cue words among ``tokens``, less those that are part of a name (``inside``)."""
    left = Counter(inside)
    out = []
    for w in tokens:
        if w not in cues:
            continue
        if left[stem(w)] > 0:
            left[stem(w)] -= 1
            continue
        out.append(w)
    return out


def centrality(card: MeasureCard, passage: Passage, mentions: int,
               config: MeasureConfig | None = None) -> tuple[float, bool]:
    """How central the measure is to a passage: mentions up to ``measure_mention_cap``, plus
    ``measure_heading_weight`` when its own section title names the measure (``measure_trail_weight``
    for a section above), plus ``measure_text_bonus`` for prose (``config``, default ``MeasureConfig()``)."""
    c = config or MeasureConfig()
    titles = [measure_tokens(t) for t in passage.section]
    in_heading = bool(titles) and card.mentions(titles[-1]) > 0
    in_trail = any(card.mentions(t) > 0 for t in titles[:-1])
    score = min(mentions, c.measure_mention_cap) + c.measure_heading_weight * in_heading \
        + c.measure_trail_weight * in_trail
    return score + (c.measure_text_bonus if passage.kind == "text" else 0.0), in_heading


def snippet(card: MeasureCard, text: str, config: MeasureConfig | None = None) -> str:
    """The first sentence of ``text`` naming the measure (the first sentence if none does), shortened
    to ``measure_snippet_chars``."""
    limit = (config or MeasureConfig()).measure_snippet_chars
    spans = split_sentences(text) or [(0, len(text))]
    chosen = next((text[s:e] for s, e in spans if card.mentions(measure_tokens(text[s:e]))), text[slice(*spans[0])])
    chosen = " ".join(chosen.split())
    return chosen if len(chosen) <= limit else chosen[:limit - 1].rstrip() + "…"


class MeasureCardBuilder:
    """Builds the cards of one index from its cleaned documents and passages."""

    def __init__(self, docs: list[CleanDocument], passages: list[Passage], acronyms: list[Acronym],
                 config: MeasureConfig | None = None, curated: CuratedAliases | None = None) -> None:
        self.config = config or MeasureConfig()
        self.curated = curated or CuratedAliases({})
        self.docs = {d.meta.doc_id: d for d in docs}
        self.passages = passages
        self.acronyms = acronyms
        self.by_span = {(p.doc_id, p.start, p.end): p for p in passages if p.kind == "table_row"}
        self.tokens = [measure_tokens(p.text) for p in passages]
        heading_tokens = {h: measure_tokens(h) for h in {h for p in passages for h in p.section}}
        self.section_tokens = [[heading_tokens[h] for h in p.section] for p in passages]  # per passage, once
        # which passages hold a token, in their text or their headings: a card looks only at those that
        # hold every token of one of its keys (cards × passages took minutes on a large corpus)
        self._postings: dict[str, set[int]] = {}
        for n, (tokens, headings) in enumerate(zip(self.tokens, self.section_tokens)):
            for token in {*tokens, *(t for h in headings for t in h)}:
                self._postings.setdefault(token, set()).add(n)

    def _may_mention(self, card: MeasureCard) -> list[int]:
        """The passages (by number, in order) that hold every token of one of ``card``'s keys, in their
        text or their headings: the only ones that can mention it."""
        found: set[int] = set()
        for key in card.keys:
            holders = [self._postings.get(token, set()) for token in key]
            if holders:
                found |= set.intersection(*holders)
        return sorted(found)

    def cite(self, passage: Passage) -> MeasureCitation:
        meta: DocumentMeta = self.docs[passage.doc_id].meta
        return MeasureCitation(passage.passage_id, passage.doc_id, meta.short_title, passage.section_label,
                               passage.page_start)

    def build(self) -> list[MeasureCard]:
        cards: list[MeasureCard] = []
        slugs: set[str] = set()
        appendix: set[tuple[str, tuple[str, ...]]] = set()
        for doc in self.docs.values():
            for row in measure_rows(doc):
                source = self.by_span.get((row.doc_id, *row.span))
                if source is None:
                    continue
                appendix.add((row.doc_id, source.section))
                cards.append(self._card(row, source, slugs))
        if not cards:
            return []
        self._aliases(cards)
        used = self._figures(cards)
        for card in cards:
            self._passages(card, appendix, used)
        return cards

    def _card(self, row: MeasureRow, source: Passage, slugs: set[str]) -> MeasureCard:
        acronym, aliases = names_of(row, self.acronyms)
        base = tidy(PAREN_RE.sub("", row.name))
        keys = list(dict.fromkeys(tuple(measure_tokens(n)) for n in [base, *([acronym] if acronym else []), *aliases]))
        type_label = row.type_label[:1].upper() + row.type_label[1:]
        return MeasureCard(slug=slug_of(row.name, slugs), name=row.name, acronym=acronym,
                           type=re.sub(r"[^a-z0-9]+", "-", fold(row.type_label)).strip("-"), type_label=type_label,
                           description=row.description, source=self.cite(source), aliases=aliases,
                           keys=[k for k in keys if k])

    def _aliases(self, cards: list[MeasureCard]) -> None:
        """Other names from the curated file, the text and the headings (indexer.measure_aliases)."""
        taken = {key: card.slug for card in cards for key in card.keys}
        for card in cards:
            for key in list(card.keys):
                add_aliases(card, self.curated.by_name.get(key, ()), taken)
        for card in cards:
            said = [a for n in self._may_mention(card) if card.mentions(self.tokens[n])
                    for a in aliases_in_text(card.keys, self.passages[n].text)]
            add_aliases(card, [*aliases_in_text(card.keys, card.description), *said], taken)
        headings = heading_aliases(cards, self.passages, self.config.measure_heading_overlap)
        for card in cards:
            add_aliases(card, headings.get(card.slug, ()), taken)

    def _figures(self, cards: list[MeasureCard]) -> set[str]:
        """Attach table rows and figure labels naming a measure; returns the passage ids used."""
        used: set[str] = set()
        for doc in self.docs.values():
            for block in doc.tables:
                column = self._measure_column(block)
                if column is None:
                    continue
                for span, cells in zip(block.row_spans, block.body):
                    passage = self.by_span.get((doc.meta.doc_id, *span))
                    if passage is None or column >= len(cells):
                        continue
                    label = tidy(cells[column])
                    for card in self._best_cards(cards, measure_tokens(label)):
                        values = tuple((tidy(block.header[i]) if i < len(block.header) else "", tidy(c))
                                       for i, c in enumerate(cells) if i != column and c)
                        card.figures.append(MeasureFigure(self.cite(passage), block.block.caption or block.context,
                                                          label, values, block.block.notes[0] if block.block.notes
                                                          else ""))
                        used.add(passage.passage_id)
        for passage, tokens in zip(self.passages, self.tokens):
            if passage.kind != "figure":
                continue
            lines = passage.text.split("\n")
            for line in lines[1:]:
                for label in line.split(" · "):
                    for card in self._best_cards(cards, measure_tokens(label)):
                        card.figures.append(MeasureFigure(self.cite(passage), lines[0], tidy(label), ()))
                        used.add(passage.passage_id)
        return used

    @staticmethod
    def _measure_column(block: PlacedBlock) -> int | None:
        """The measure column of a table that is not itself a measures list (no description column)."""
        if measure_columns(block.header) is not None:
            return None
        return next((i for i, cell in enumerate(block.header) if NAME_HEADER_RE.search(cell)), None)

    @staticmethod
    def _best_cards(cards: list[MeasureCard], tokens: list[str]) -> list[MeasureCard]:
        """The cards whose longest key found in ``tokens`` is the longest of all (ties: all of them)."""
        found = [(max((len(k) for k in c.keys if _has(tokens, k)), default=0), c)
                 for c in cards]
        best = max((n for n, _ in found), default=0)
        return [c for n, c in found if n and n == best]

    def _passages(self, card: MeasureCard, appendix: set, used: set[str]) -> None:
        found: list[tuple[float, int, MeasurePassage]] = []
        for order in self._may_mention(card):
            passage, tokens, headings = self.passages[order], self.tokens[order], self.section_tokens[order]
            if passage.passage_id in used or (passage.doc_id, passage.section) in appendix:
                continue
            if is_measure_table(passage):
                continue
            if not card.mentions(tokens) and not any(card.mentions(h) for h in headings):
                continue  # a passage under a heading that names the measure belongs to it too
            found.append((order, card_passage(card, passage, self.cite(passage), self.config, tokens)))
        card.passages = [p for _, p in sorted(found, key=lambda t: (-t[1].score, t[0]))]


def card_passage(card: MeasureCard, passage: Passage, cite: MeasureCitation, config: MeasureConfig | None = None,
                 tokens: list[str] | None = None) -> MeasurePassage:
    """``passage`` as one of ``card``'s passages: its group (``classify``), centrality and snippet."""
    mentions = card.mentions(measure_tokens(passage.text) if tokens is None else tokens)
    score, in_heading = centrality(card, passage, mentions, config)
    group, cues = classify(passage.text, passage.section, card.keys, config)
    return MeasurePassage(cite, group, score, mentions, in_heading, snippet(card, passage.text, config), cues)


def is_measure_table(passage: Passage) -> bool:
    """A whole-table passage of a table with a measure column (not a measures list): its rows are a
    card's figures, not its passages."""
    if passage.kind != "table":
        return False
    for line in passage.text.split("\n")[:2]:
        header = line.split("\t")
        if len(header) >= 2 and measure_columns(header) is None and any(NAME_HEADER_RE.search(c) for c in header):
            return True
    return False


def _has(tokens: list[str], key: tuple[str, ...]) -> bool:
    size = len(key)
    return any(tuple(tokens[i:i + size]) == key for i in range(len(tokens) - size + 1))


def build_measure_cards(docs: list[CleanDocument], passages: list[Passage], acronyms: list[Acronym],
                        config: MeasureConfig | None = None, curated: CuratedAliases | None = None
                        ) -> list[MeasureCard]:
    """The measure cards of an index (empty when no report has a measures table); ``config``:
    ``settings.measures`` (default: ``MeasureConfig()``); ``curated``: the corpus's curated aliases."""
    return MeasureCardBuilder(docs, passages, acronyms, config, curated).build()
