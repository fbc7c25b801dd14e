"""Write eval results: a printed table, Markdown and JSON per configuration, a summary, and a
PNG of Hit@k curves (one curve per configuration) linked from the Markdown."""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path

from eval.metrics import MEASURES
from eval.runner import OUTCOMES
from reportqa.run_files import (
    PLOT,
    SUMMARY,
    WRITING_PREFIX,
    AskSummary,
    ConfigRun,
    ConfigSummary,
    RunSummary,
    report_name,
    sweep_stale_writing,
)

CURVE_KS = (1, 3, 5, 10)
HEADLINE = ("Hit@1", "Hit@3", "Hit@5", "Hit@10", "MRR@10", "nDCG@10", "R@5")


def table(results: list[ConfigRun]) -> str:
    """A fixed-width table of the headline measures and latency, one row per configuration."""
    head = f"{'config':<16}" + "".join(f"{m:>9}" for m in HEADLINE) + f"{'p50 ms':>9}{'p95 ms':>9}"
    rows = [head, "-" * len(head)]
    for r in results:
        rows.append(f"{r.name:<16}" + "".join(f"{r.overall[m]:>9.3f}" for m in HEADLINE)
                    + f"{r.latency_p50_ms:>9.1f}{r.latency_p95_ms:>9.1f}")
    return "\n".join(rows)


def ask_table(ask: AskSummary) -> str:
    """The ask slice: the outcome mix per persona and the rates that matter."""
    head = f"{'persona':<14}" + "".join(f"{o:>13}" for o in OUTCOMES)
    rows = [head, "-" * len(head)]
    for persona, mix in sorted(ask.outcomes.items()):
        total = sum(mix.values()) or 1
        rows.append(f"{persona:<14}" + "".join(f"{mix[o]:>6} ({mix[o] / total:4.0%})" for o in OUTCOMES))
    rows.append(
        f"ask: answered on unanswerable {ask.answered_unanswerable:.3f} ({ask.unanswerable}); on answerable "
        f"({ask.answerable}): not_covered {ask.not_covered_answerable:.3f}, closest {ask.closest_answerable:.3f}; "
        f"answer sentences carry the evidence on {ask.evidence_carried:.3f} of answerable questions "
        f"({ask.evidence_carried_answered:.3f} of those answered); "
        f"latency p50 {ask.latency_p50_ms:.1f} ms, p95 {ask.latency_p95_ms:.1f} ms")
    if ask.figures:
        rows += ["", figures_table(ask.figures), "", curve_table(ask.curve)]
    return "\n".join(rows)


FIGURES = ("glance", "answer_precision", "answered", "sentence_hit1", "closest", "not_covered",
           "unanswerable_answered")


def figures_table(figures: dict[str, dict[str, float]]) -> str:
    """Per persona: glance (what the user reads first carries the fact), answer precision (of the
    answerable questions answered), the share answered, sentence Hit@1 and the outcome mix."""
    head = f"{'persona':<14}" + "".join(f"{f:>23}" for f in FIGURES)
    rows = [head, "-" * len(head)]
    for persona, values in figures.items():
        rows.append(f"{persona:<14}" + "".join(f"{values.get(f, 0.0):>23.3f}" for f in FIGURES))
    return "\n".join(rows)


def curve_table(curve: tuple[dict[str, float], ...], points: int = 12) -> str:
    """The answer decision's precision–coverage curve, thinned to about ``points`` thresholds."""
    if not curve:
        return "precision–coverage: no question reached the model"
    step = max(1, len(curve) // points)
    rows = ["precision–coverage (threshold: precision, answered share of answerable, of unanswerable)"]
    rows += [f"  {c['threshold']:.3f}: {c['precision']:.3f}  {c['answered']:.3f}  {c['unanswerable_answered']:.3f}"
             for c in list(curve)[::step]]
    return "\n".join(rows)


def _md_measures(rows: dict[str, dict[str, float]], label: str) -> list[str]:
    lines = [f"| {label} | " + " | ".join(HEADLINE) + " |", "|---|" + "---|" * len(HEADLINE)]
    for name, values in rows.items():
        lines.append(f"| {name} | " + " | ".join(f"{values[m]:.3f}" for m in HEADLINE) + " |")
    return lines


def plot_curves(results: list[ConfigRun], path: Path) -> None:
    """Hit@k against k, one line per configuration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=110)
    for r in results:
        ax.plot(CURVE_KS, [r.overall[f"Hit@{k}"] for k in CURVE_KS], marker="o", label=r.name)
    ax.set_xlabel("k (passages shown)")
    ax.set_ylabel("Hit@k (answer found in top k)")
    ax.set_xticks(CURVE_KS)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    ax.set_title("Retrieval by configuration")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _publish(tmp: Path, target: Path) -> None:
    """Give the finished temp file ``tmp`` the name ``target`` atomically, never replacing a file
    (os.link fails when ``target`` exists); the temp name is removed either way."""
    try:
        os.link(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _run_label(out_dir: Path, day: str, names: list[str]) -> str:
    """``day``, or ``day.2``, ``day.3``… : the first label none of whose files exist yet."""
    n = 1
    while True:
        label = day if n == 1 else f"{day}.{n}"
        if not any((out_dir / report_name(label, name)).exists() for name in names):
            return label
        n += 1


def write_reports(out_dir: Path, results: list[ConfigRun], ask: AskSummary | None, split: str,
                  n_questions: int, day: str | None = None) -> list[Path]:
    """Write <label>-<config>.md/.json for each configuration, <label>-summary.md/.json and
    <label>-recall.png, where the label is the date, or ``<date>.2``, ``<date>.3``… when a run of
    that date is already there: an existing report is never overwritten (two runs at once each get
    their own label). Each file is written to a temp file first and then linked into place, so a
    reader never sees half a file; the summary is published last, so a run stopped on the way (the
    workbench headlines a run by its summary) is never headlined without its files. Folders that
    stopped runs left behind are swept first. Returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    sweep_stale_writing(out_dir)
    day = day or date.today().isoformat()
    names = [PLOT, f"{SUMMARY}.md", f"{SUMMARY}.json"] + [f"{r.name}.{ext}" for r in results for ext in ("md", "json")]
    with tempfile.TemporaryDirectory(prefix=WRITING_PREFIX, dir=out_dir) as tmp_name:
        tmp = Path(tmp_name)
        while True:
            label = _run_label(out_dir, day, names)
            files = _render(tmp, label, day, results, ask, split, n_questions)
            claim = out_dir / report_name(label, PLOT)  # taking the plot's name claims the label
            try:
                _publish(files.pop(claim.name), claim)
            except FileExistsError:  # another run took this label meanwhile: try the next one
                for leftover in tmp.iterdir():
                    leftover.unlink()
                continue
            break
        written = [claim]
        for name in sorted(files, key=lambda name: name.endswith(f"-{SUMMARY}.json")):  # the summary last
            _publish(files[name], out_dir / name)
            written.append(out_dir / name)
    return written


def run_notes(split: str, n_questions: int) -> str:
    """The line every report file of a run opens with: the split, and what the measures mean."""
    return (f"Split: **{split}** ({n_questions} questions). Hit@k = share of questions with a relevant "
            "passage in the top k (ir-measures Success@k); R@k = share of all relevant passages; "
            "MRR@10 = ir-measures RR@10.")


def config_markdown(label: str, r: ConfigRun, notes: str) -> str:
    """The Markdown report of one configuration of run ``label``."""
    md = [f"# Eval {label}: {r.name}", "", notes, "", f"![Hit@k curves]({report_name(label, PLOT)})", ""]
    md += _md_measures({"all": r.overall, **r.by_persona}, "persona")
    md += ["", "## By tag", ""] + _md_measures(r.by_tag, "tag")
    md += ["", f"Latency: p50 {r.latency_p50_ms:.1f} ms, p95 {r.latency_p95_ms:.1f} ms", "",
           "## Questions whose evidence is not in the top 5", ""]
    md += [f"- {f.id} ({f.persona}) first relevant rank: {f.first_rank or 'not in top 50'} — {f.question}"
           for f in r.failing] or ["- none"]
    return "\n".join(md) + "\n"


def summary_markdown(label: str, results: list[ConfigRun], ask: AskSummary | None, notes: str) -> str:
    """The Markdown summary of run ``label``: every configuration's headline, and the ask slice."""
    summary = [f"# Eval summary {label}", "", notes, "", f"![Hit@k curves]({report_name(label, PLOT)})", ""]
    summary += _md_measures({r.name: r.overall for r in results}, "config")
    summary += ["", "| config | p50 ms | p95 ms |", "|---|---|---|"]
    summary += [f"| {r.name} | {r.latency_p50_ms:.1f} | {r.latency_p95_ms:.1f} |" for r in results]
    if ask is not None:
        summary += ["", "## Ask", "", "```", ask_table(ask), "```", "", "### Wrong behaviour", ""]
        summary += [f"- {w.id}: {w.problem} (confidence {w.confidence}) — {w.question}" for w in ask.wrong] \
            or ["- none"]
    summary += ["", "Per-configuration reports: " + ", ".join(f"[{r.name}]({report_name(label, r.name)}.md)"
                                                             for r in results)]
    return "\n".join(summary) + "\n"


def _render(tmp: Path, label: str, day: str, results: list[ConfigRun], ask: AskSummary | None, split: str,
            n_questions: int) -> dict[str, Path]:
    """Every report file of a run labelled ``label``, written into the folder ``tmp``: final name → temp file."""
    files: dict[str, Path] = {}

    def put(name: str, text: str) -> None:
        files[name] = tmp / name
        files[name].write_text(text, encoding="utf-8")

    png_name = report_name(label, PLOT)
    files[png_name] = tmp / png_name
    plot_curves(results, files[png_name])
    notes = run_notes(split, n_questions)
    for r in results:
        put(report_name(label, f"{r.name}.md"), config_markdown(label, r, notes))
        put(report_name(label, f"{r.name}.json"), replace(r, split=split, date=day, label=label).to_json())
    put(report_name(label, f"{SUMMARY}.md"), summary_markdown(label, results, ask, notes))
    configs = {r.name: ConfigSummary(r.overall, r.latency_p50_ms, r.latency_p95_ms) for r in results}
    put(report_name(label, f"{SUMMARY}.json"),
        RunSummary(day, label, split, n_questions, configs, ask, tuple(MEASURES)).to_json())
    return files
