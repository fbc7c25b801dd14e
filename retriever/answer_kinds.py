"""The kind of answer a question asks for (a sum of money, a penalty, an extreme, a duration, a
quantity), and whether a text holds one. Read by the sentence answer model (its ``asks_kind`` and
``type_match`` features)."""

from __future__ import annotations

import re

from reportqa.text import NUMBER_WORDS

MONEY_Q = re.compile(r"\b(cost|costs|price|how much (?:does|do|did|would|will) .{0,40}(?:cost|pay|spend|charge)|"
                     r"spend|spent|budget|funding|fee|fees)\b", re.IGNORECASE)
MONEY_A = re.compile(r"£|\b(cost|costs|funding|funded|budget|fee|fees|price|spend|spent)\b", re.IGNORECASE)
PENALTY_Q = re.compile(r"\b(?:(?:a|the|any) fine|fined|fines|penalt(?:y|ies)|jail|prison|imprison\w*|locked up"
                       r"|sentence for)\b", re.IGNORECASE)
PENALTY_A = re.compile(r"£|\b(?:fine|fined|fines|penalt(?:y|ies)|jail\w*|prison\w*|imprison\w*|custod\w*|sentenc\w*)\b",
                       re.IGNORECASE)
EXTREME_Q = re.compile(r"\b(maximum|minimum|max|min|average|longest|shortest|most ever|least)\b", re.IGNORECASE)
EXTREME_A = re.compile(r"\b(maximum|minimum|average|mean|up to|at least|at most|no more than|no less than|"
                       r"longest|shortest)\b", re.IGNORECASE)
QUANTITY_Q = re.compile(r"\b(how many|how much|how often|what (?:share|proportion|percentage|number|fraction)"
                        r"|number of|percentage|per ?cent|cost|figure)\b", re.IGNORECASE)
DURATION_Q = re.compile(r"\b(how long|how soon|duration|expire|expires|last for|period)\b", re.IGNORECASE)
QUANTITY_A = re.compile(r"\d|%|\b(" + "|".join(sorted(NUMBER_WORDS)) + r")\b", re.IGNORECASE)
DURATION_A = re.compile(r"\b(\d+|one|two|three|four|six|twelve|48|72)[- ]?(hours?|days?|weeks?|months?|years?)\b"
                        r"|\b(hours|days|weeks|months|years)\b", re.IGNORECASE)


def answer_type(query: str) -> str:
    """'money', 'extreme', 'duration', 'quantity' or 'other': the kind of answer the query asks for."""
    if MONEY_Q.search(query):
        return "money"
    if EXTREME_Q.search(query):
        return "extreme"
    if DURATION_Q.search(query):
        return "duration"
    if QUANTITY_Q.search(query):
        return "quantity"
    return "other"


def answer_kinds(query: str) -> tuple[str, ...]:
    """Every kind of answer the query asks for: its ``answer_type``, plus 'penalty' when it asks
    about a fine or a prison sentence ("what's the maximum prison sentence" needs both)."""
    kinds = (answer_type(query),)
    return kinds + ("penalty",) if PENALTY_Q.search(query) else kinds


def type_matches(kind: str, text: str) -> bool:
    """Whether ``text`` contains the kind of answer asked for (always true for 'other')."""
    pattern = {"money": MONEY_A, "penalty": PENALTY_A, "extreme": EXTREME_A, "duration": DURATION_A,
               "quantity": QUANTITY_A}.get(kind)
    return pattern is None or bool(pattern.search(text))
