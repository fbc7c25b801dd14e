"""Metamorphic checks: a question written another way a person would write it must give the same
result. Each question gets variants (quote style, case, possessive, punctuation, a one-letter typo,
a synonym for the counted noun, police shorthand for a phrase it spells out); a variant keeps the
result when its top 5 passages are the same, give or take one, and its outcome (answer / closest /
not_covered) is the same.

    python -m eval.metamorphic [--split dev]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from dataclasses import dataclass, field

from eval.questions import Question, load_questions
from reportqa.settings import Settings
from reportqa.text import STOPWORDS
from retriever.retriever import Retriever

GENERIC_COUNTED = ("people", "individuals", "persons")
TOP = 5
# What an officer types for what the question spells out (the everyday-word table reads them back).
SHORTHAND = (("missing persons", "mispers"), ("missing person", "misper"), ("no further action", "nfa"),
             ("suspects", "sus"), ("suspect", "sus"), ("victims", "vics"), ("victim", "vic"),
             ("operation", "op"), ("Police National Computer", "PNC"), ("child sexual exploitation", "cse"),
             ("child sexual abuse", "csa"), ("intelligence", "intel"))


def _typo(text: str) -> str | None:
    """Two neighbouring letters swapped in the middle of the longest ordinary word (6+ letters)."""
    candidates = [m for m in re.finditer(r"[a-z]{6,}", text) if m.group() not in STOPWORDS]
    if not candidates:
        return None
    m = max(candidates, key=lambda x: (len(x.group()), -x.start()))
    w = m.group()
    i = len(w) // 2
    if w[i] == w[i - 1]:
        return None
    return text[:m.start()] + w[:i - 1] + w[i] + w[i - 1] + w[i + 1:] + text[m.end():]


def variants(question: str) -> list[tuple[str, str]]:
    """(kind, variant) pairs for ``question``; kinds that do not apply are left out."""
    out: list[tuple[str, str]] = []
    if '"' in question:
        out.append(("quotes", question.replace('"', "'")))
        out.append(("quotes", re.sub(r'"([^"]*)"', r"“\1”", question)))
    elif "'" in question and re.search(r"(?:^|\s)'[^']+'", question):
        out.append(("quotes", re.sub(r"(^|\s)'([^']+)'", r'\1"\2"', question)))
    lower = question.lower()
    if lower != question:
        out.append(("case", lower))
    if question[:1].islower():
        out.append(("case", question[:1].upper() + question[1:]))
    if re.search(r"\w['’]s\b", question):
        out.append(("possessive", re.sub(r"(\w)['’]s\b", r"\1s", question)))
    stripped = question.rstrip("?.! ")
    out.append(("punctuation", stripped if stripped != question else question + "?"))
    typo = _typo(question)
    if typo:
        out.append(("typo", typo))
    for long, short in SHORTHAND:
        m = re.search(rf"\b{long}\b", question, re.IGNORECASE)
        if m:
            out.append(("shorthand", question[:m.start()] + short + question[m.end():]))
            break
    m = re.search(r"\bhow many (" + "|".join(GENERIC_COUNTED) + r")\b", question, re.IGNORECASE)
    if m:
        other = next(g for g in GENERIC_COUNTED if g != m.group(1).lower())
        out.append(("synonym", question[:m.start(1)] + other + question[m.end(1):]))
    return out


@dataclass
class MetamorphicReport:
    total: int = 0
    kept: int = 0
    by_kind: Counter = field(default_factory=Counter)
    kept_by_kind: Counter = field(default_factory=Counter)
    failures: list[dict] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.kept / self.total if self.total else 1.0


def _result(retriever: Retriever, text: str) -> tuple[list[str], str]:
    answer = retriever.ask(text, k=TOP)
    return [h.passage.passage_id for h in answer.hits[:TOP]], answer.outcome


def check(retriever: Retriever, questions: list[Question]) -> MetamorphicReport:
    """Ask every question and each of its variants; count the variants that keep the result."""
    report = MetamorphicReport()
    for q in questions:
        base_top, base_outcome = _result(retriever, q.question)
        for kind, text in variants(q.question):
            top, outcome = _result(retriever, text)
            same = len(set(top) ^ set(base_top)) <= 2 and outcome == base_outcome
            report.total += 1
            report.by_kind[kind] += 1
            if same:
                report.kept += 1
                report.kept_by_kind[kind] += 1
            else:
                report.failures.append({"id": q.id, "kind": kind, "question": q.question, "variant": text,
                                        "outcomes": (base_outcome, outcome),
                                        "top5_changed": len(set(top) - set(base_top))})
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev")
    parser.add_argument("--show", type=int, default=20, help="failures to print")
    args = parser.parse_args(argv)
    settings = Settings()
    source = settings.eval_dir / ("sealed" if args.split == "sealed" else "questions.jsonl")
    report = check(Retriever.open(settings), load_questions(source, args.split))
    for kind in sorted(report.by_kind):
        print(f"{kind:<12} {report.kept_by_kind[kind]:>4} / {report.by_kind[kind]:<4} "
              f"{report.kept_by_kind[kind] / report.by_kind[kind]:.3f}")
    print(f"{'all':<12} {report.kept:>4} / {report.total:<4} {report.share:.3f}")
    for f in report.failures[:args.show]:
        print(f"- {f['id']} {f['kind']}: {f['outcomes'][0]} → {f['outcomes'][1]}, {f['top5_changed']} new in top 5: "
              f"{f['question']!r} → {f['variant']!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
