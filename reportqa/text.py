"""The one text analyzer, shared by indexing, search, features, constraints, spelling and highlights:
how text is tokenised, folded, stemmed and matched, which words are stopwords, what counts as a
number, what marks a list item and what labels a table or figure. Every token pattern lives here, so a
rule is written once.

Token kinds:
- ``words``: case-folded word tokens (letters and digits, inner apostrophes), for bm25, features
  and IDF; ``lexical_tokens`` and ``content_words`` stem them and drop stopwords;
- ``cased_tokens``: letter tokens with their case and offsets, for recognising names and typos;
- ``key_tokens``: lower-case tokens keeping "&" ("b&b"), for the everyday-word table;
- ``match_key``: letters and digits only, for locating quoted spans.

The stemmer is a light hand-written suffix stripper (plural, -ing, -ed); see eval/NOTES.md for why
it was kept over Snowball.
"""

from __future__ import annotations

import re
import unicodedata

ANALYZER_VERSION = 2  # recorded in the index manifest: a change to how text is tokenised asks for a re-index
WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
CASED_TOKEN_RE = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
KEY_TOKEN_RE = re.compile(r"[a-z0-9&']+")
NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)?")  # 12, 3.5, 1,200 (as two when written "1,200")
NUMBER_TOKEN_RE = re.compile(r"^\d[\d,.]*$")  # a word token that is a figure
FIGURE_RE = re.compile(r"(?<![\w-])\d[\d,.]*%?(?![\w-])")  # 87, 1,200, 42%; not the 18 of "under-18s"
# A list item starts with a printed bullet, a dash, an asterisk or a plus, or a number and a closing
# parenthesis ("1) "), then a space: in Markdown, in text extracted from a PDF, and in the cleaned
# text (where every list item starts "• ").
BULLET_SYMBOLS = "•‣●▪◦∙■□➢►"
LIST_MARK = "• "  # how the cleaned text marks a list item
LIST_ITEM_RE = re.compile(rf"^\s*(?:[{BULLET_SYMBOLS}–\-*+]|\d{{1,3}}\))\s+")
# "Table 2.", "Figure 3:", "Box 1", "Fig. A1" at the start of a line: the label of a table or figure.
FIGURE_LABEL = r"(?:Table|Figure|Fig\.|Chart|Box|Exhibit|Diagram|Graph)\s+[A-Z]?\d+[A-Za-z]?(?:\.\d+)?"

STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are aren't as at be because been before
    being below between both but by can can't cannot could couldn't did didn't do does doesn't doing
    don't down during each few for from further had hadn't has hasn't have haven't having he he'd
    he'll he's her here here's hers herself him himself his how how's i i'd i'll i'm i've if in into
    is isn't it it's its itself let's me more most mustn't my myself no nor not of off on once only
    or other ought our ours ourselves out over own same shan't she she'd she'll she's should
    shouldn't so some such than that that's the their theirs them themselves then there there's
    these they they'd they'll they're they've this those through to too under until up very was
    wasn't we we'd we'll we're we've were weren't what what's when when's where where's which while
    who who's whom why why's with won't would wouldn't you you'd you'll you're you've your yours
    yourself yourselves s t d ll m re ve also us get got just like may might must will shall
    whats hows wheres whos anyone anything someone something thing things tell say says said
    arent cant couldnt didnt doesnt dont hadnt hasnt havent isnt shouldnt wasnt werent wont
    wouldnt im ive youre youve theyre theyve weve hes shes thats theres
    """.split()
)

# Words that state a quantity in prose ("two thirds of", "the majority of", "hundreds of").
NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty fifty "
    "hundred hundreds thousand thousands million half quarter quarters third thirds fifths tenth "
    "majority minority".split()
)


def fold(text: str) -> str:
    """Case-fold and strip accents, keeping letters, digits and spacing."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def match_key(text: str) -> str:
    """Letters and digits only, case-folded: the key evidence spans are matched on."""
    return re.sub(r"[^0-9a-z]", "", fold(text))


def match_key_with_map(text: str) -> tuple[str, list[int]]:
    """``match_key`` plus, for every kept character, its offset in ``text``."""
    keep: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        for c in fold(ch):
            if "0" <= c <= "9" or "a" <= c <= "z":
                keep.append(c)
                offsets.append(i)
    return "".join(keep), offsets


def words(text: str) -> list[str]:
    """Word tokens, case-folded, with apostrophes normalised to ASCII and possessives dropped
    ("officer's" → "officer"; a closing apostrophe, as in "officers'", is never part of a word)."""
    out = []
    for w in WORD_RE.findall(fold(text)):
        w = w.replace("’", "'")
        out.append(w[:-2] if w.endswith("'s") and len(w) > 2 else w)
    return out


QUOTE_MARKS = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "″": '"',
                             "‘": "'", "’": "'", "‚": "'", "`": "'", "´": "'", "′": "'"})
# 'a name in single quotes': opened at the start of a word, closed at the end of one.
SINGLE_QUOTED_RE = re.compile(r"""(?:^|(?<=[\s(\[:;,/]))'([^'"]*?[^\W_][^'"]*?)'(?=$|[\s.,;:!?)\]/])""")


def normalise_quotes(text: str) -> str:
    """Curly and other quote marks as straight ones, and a phrase in single quotes as one in double
    quotes, so every way of quoting a name means the same ('grandfather rights' = "grandfather
    rights"). Apostrophes inside or closing a word ("don't", "officers'") are left alone."""
    return SINGLE_QUOTED_RE.sub(lambda m: '"' + m.group(1) + '"', text.translate(QUOTE_MARKS))


def stem(word: str) -> str:
    """A light suffix stripper, enough to match 'orders'/'order', 'notices'/'notice' and
    'warning'/'warn' (plural first, then -ing/-ed)."""
    if len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> list[str]:
    """Non-stopword tokens of ``text``, stemmed, in order."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1]


def lexical_tokens(text: str) -> list[str]:
    """The terms bm25 indexes and matches: stemmed words, stopwords removed."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


def cased_tokens(text: str) -> list[re.Match]:
    """Letter tokens of ``text`` as typed (case kept), with their offsets. Apostrophes count only
    inside a word, so a closing quote is never part of one ("'grandfather rights'")."""
    return list(CASED_TOKEN_RE.finditer(text))


def key_tokens(text: str) -> list[str]:
    """Lower-case tokens for table lookups, keeping '&' ("b&b") and apostrophes."""
    return KEY_TOKEN_RE.findall(text.lower().replace("’", "'"))


def numbers_in(text: str) -> set[str]:
    """The figures written in ``text`` ("3", "1,200" → "1,200", "2.5")."""
    return set(NUMBER_RE.findall(text))


def is_number_token(word: str) -> bool:
    return bool(NUMBER_TOKEN_RE.match(word))


def is_list_item(line: str) -> bool:
    """True for a bulleted or numbered list item ("• text", "- text", "1) text")."""
    return bool(LIST_ITEM_RE.match(line))


def without_bullet(line: str) -> str:
    """``line`` without its list mark ("- text" → "text"); unchanged when it is not a list item."""
    return LIST_ITEM_RE.sub("", line, count=1)


def is_lead_in(sentence: str) -> bool:
    """True for a sentence that introduces what follows ("…in relation to:")."""
    return sentence.rstrip().endswith(":")
