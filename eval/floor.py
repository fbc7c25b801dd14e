"""The quality floor: retrieval and answer figures the shipped pipeline must keep on the dev split,
recorded in eval/floor.json and checked by tests/test_quality_floor.py.

``python -m eval.floor`` re-records the figures from the current build and weights (say why in
eval/NOTES.md). The margins, the stages and the lead share stay as they are in the file: they are the
policy, the figures are the measurement.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from eval.evaluate import qrels_for
from eval.questions import Question, load_questions
from eval.runner import run_ask, run_config
from reportqa.run_files import AskSummary, ConfigRun
from reportqa.settings import PROJECT_ROOT, Settings
from retriever.retriever import Retriever

FLOOR_PATH = PROJECT_ROOT / "eval" / "floor.json"

# The answer figures the floor records, and which way is better: a floor under a figure that should be
# high, a ceiling over one that should be low.
ANSWER_HIGHER = ("glance", "answer_precision", "answered")
ANSWER_LOWER = ("unanswerable_answered",)


@dataclass
class FloorRun:
    """The dev questions, their qrels and the runs made of them, each configuration run once."""

    retriever: Retriever
    questions: list[Question]
    qrels: dict
    _configs: dict[str, ConfigRun] = field(default_factory=dict)
    _ask: AskSummary | None = None

    @classmethod
    def over(cls, retriever: Retriever, split: str) -> FloorRun:
        questions = load_questions(PROJECT_ROOT / "eval" / "questions.jsonl", split)
        return cls(retriever, questions, qrels_for(retriever, questions, None))

    def config(self, name: str) -> ConfigRun:
        if name not in self._configs:
            self._configs[name] = run_config(self.retriever, name, self.questions, self.qrels)
        return self._configs[name]

    def answers(self) -> dict[str, float]:
        """Glance, answer precision, the share answered and unanswerable questions answered, overall."""
        if self._ask is None:
            self._ask = run_ask(self.retriever, self.questions, self.qrels)
        return self._ask.figures["all"]


def load_floor(path: Path = FLOOR_PATH) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def record(run: FloorRun, floor: dict, note: str) -> dict:
    """``floor`` with every figure re-measured on ``run``; its margins and stages' definitions kept."""
    out = dict(floor)
    out["recorded"] = f"{date.today().isoformat()} ({note}; dev = {len(run.questions)} questions)"
    out["configs"] = {name: {m: round(run.config(name).overall[m], 4) for m in measures}
                      for name, measures in floor["configs"].items()}
    out["stages"] = {}
    for stage, spec in floor["stages"].items():
        with_stage, without = (run.config(spec[side]).overall[spec["measure"]] for side in ("with", "without"))
        out["stages"][stage] = {**spec, "lead": round(with_stage - without, 4)}
    figures = run.answers()
    out["answers"] = {m: figures[m] for m in (*ANSWER_HIGHER, *ANSWER_LOWER)}
    return out


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Re-record eval/floor.json from the current build and weights.")
    parser.add_argument("--note", required=True, help="why the floor is re-recorded (kept in the file)")
    args = parser.parse_args()
    floor = load_floor()
    run = FloorRun.over(Retriever.open(Settings()), floor["split"])
    FLOOR_PATH.write_text(json.dumps(record(run, floor, args.note), indent=2) + "\n", encoding="utf-8")
    print(f"recorded {FLOOR_PATH}")


if __name__ == "__main__":
    main()
