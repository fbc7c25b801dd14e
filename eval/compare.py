"""`reportqa eval --compare RUN_A RUN_B` and `--failures RUN` as plain text. The runs, their
typed records and the comparison itself are in reportqa/runs.py, shared with the web workbench
(web may not import eval)."""

from __future__ import annotations

from reportqa.runs import Comparison, RunRecord


def format_comparison(c: Comparison, show_same: bool = False) -> str:
    """The diff as plain text: one line per question that changed, then the totals."""
    lines = [f"A = {c.a.ref} ({c.a.config}, {c.a.split})", f"B = {c.b.ref} ({c.b.config}, {c.b.split})", ""]
    head = f"{'change':<7} {'id':<10} {'persona':<12} {'rank A':>14} {'rank B':>14} {'RR A':>6} {'RR B':>6} " \
           f"{'ΔRR':>7}  question"
    lines += [head, "-" * len(head)]
    for r in (c.rows if show_same else c.changed):
        lines.append(f"{r.change:<7} {r.id:<10} {r.persona:<12} {r.a.rank_text:>14} {r.b.rank_text:>14} "
                     f"{r.a.rr:>6.3f} {r.b.rr:>6.3f} {r.delta_rr:>+7.3f}  {r.question[:70]}")
    if not c.changed and not show_same:
        lines.append("(no question changed)")
    rr_a, rr_b = c.mean_rr
    h5_a, h5_b = c.hits_at(5)
    lines += ["", f"{len(c.rows)} questions in both runs: {len(c.better)} better, {len(c.worse)} worse, "
                  f"{len(c.same)} unchanged",
              f"MRR@10 {rr_a:.3f} → {rr_b:.3f} ({rr_b - rr_a:+.3f}); evidence in the top 5: {h5_a} → {h5_b} "
              f"({h5_b - h5_a:+d})"]
    for persona, (up, down, same) in c.by_persona().items():
        lines.append(f"  {persona:<12} {up} better, {down} worse, {same} unchanged")
    if c.only_a or c.only_b:
        lines.append(f"only in A: {len(c.only_a)}; only in B: {len(c.only_b)}")
    return "\n".join(lines)


def format_failures(run: RunRecord, worse_than: int = 5) -> str:
    """A run's failures as plain text: id, persona, rank of the first evidence, question, top passages."""
    fails = run.failures(worse_than)
    lines = [f"{run.ref}: {len(fails)} of {len(run.questions)} questions have no evidence in the top {worse_than}"]
    for q in fails:
        lines.append(f"{q.id:<10} {q.persona:<12} {q.rank_text:>14}  {q.question}")
        for h in q.hits[:3]:
            lines.append(f"{'':>12}{h.rank}. {h.short_title}, {h.section[-50:]}: {h.words[:70]}")
    return "\n".join(lines)
