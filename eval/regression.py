"""Query-by-query regression check: snapshot what the system returns for every question of a split
(the ranked lists of named configurations, with scores and highlights, and the answers), then compare
two snapshots. A refactoring that must change no ranking and no answer shows zero differences.

    python -m eval.regression snapshot OUT.jsonl [--split all] [--config fusion full]
    python -m eval.regression compare BEFORE.jsonl AFTER.jsonl [--tolerance 1e-5]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from eval.questions import load_questions
from reportqa.settings import Settings
from retriever.pipeline import PIPELINES
from retriever.retriever import Retriever

DEPTH = 50


def snapshot(retriever: Retriever, questions_path: Path, split: str, configs: list[str]) -> list[dict]:
    """One record per question: each configuration's ranked (passage id, score, highlights), and the answer."""
    rows = []
    for q in load_questions(questions_path, split):
        row: dict = {"id": q.id}
        for name in configs:
            hits = retriever.search(q.question, k=DEPTH, pipeline=PIPELINES[name])
            row[name] = [[h.passage.passage_id, round(h.score, 6), [list(x) for x in h.highlights]] for h in hits]
        answer = retriever.ask(q.question)
        row["ask"] = {"abstained": answer.abstained, "sentences": [[s.text, s.citation] for s in answer.sentences],
                      "citations": [c.passage.passage_id for c in answer.citations], "reasons": answer.reasons,
                      "confidence": round(answer.confidence, 6), "corrections": answer.corrections,
                      "hits": [h.passage.passage_id for h in answer.hits]}
        rows.append(row)
    return rows


def compare(before: list[dict], after: list[dict], tolerance: float = 0.0) -> list[str]:
    """The questions and parts that differ (an empty list when the two snapshots agree). Scores and
    confidences within ``tolerance`` of each other count as equal (float noise, as between two
    runtimes of one model); a differing answer names its fields: 'q1: ask differs (citations)'."""
    old = {r["id"]: r for r in before}
    new = {r["id"]: r for r in after}
    out = [f"{qid}: only in the first snapshot" for qid in sorted(old.keys() - new.keys())]
    out += [f"{qid}: only in the second snapshot" for qid in sorted(new.keys() - old.keys())]
    for qid in sorted(old.keys() & new.keys()):
        for key in sorted(old[qid].keys() | new[qid].keys()):
            a, b = old[qid].get(key), new[qid].get(key)
            if key == "id" or _same(a, b, tolerance):
                continue
            fields = sorted(k for k in a.keys() | b.keys() if not _same(a.get(k), b.get(k), tolerance)) \
                if isinstance(a, dict) and isinstance(b, dict) else []
            out.append(f"{qid}: {key} differs" + (f" ({', '.join(fields)})" if fields else ""))
    return out


def _same(a: object, b: object, tolerance: float) -> bool:
    """Equal, with floats equal within ``tolerance``."""
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= tolerance
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y, tolerance) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k], tolerance) for k in a)
    return a == b


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    snap = sub.add_parser("snapshot")
    snap.add_argument("out", type=Path)
    snap.add_argument("--split", default="all")
    snap.add_argument("--config", nargs="+", default=["fusion", "full"], choices=sorted(PIPELINES))
    comp = sub.add_parser("compare")
    comp.add_argument("before", type=Path)
    comp.add_argument("after", type=Path)
    comp.add_argument("--tolerance", type=float, default=0.0,
                      help="scores within this of each other count as equal (default 0: exact)")
    args = parser.parse_args(argv)
    if args.command == "snapshot":
        settings = Settings()
        rows = snapshot(Retriever.open(settings), settings.eval_dir / "questions.jsonl", args.split, args.config)
        args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        print(f"{len(rows)} questions → {args.out}")
        return 0
    differences = compare(_read(args.before), _read(args.after), args.tolerance)
    print("\n".join(differences) or "no differences")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
