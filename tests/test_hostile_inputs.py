"""The hostile-input benchmark (bench/hostile_inputs.py): each file indexed alone by the command line,
with its time, peak memory and outcome read from what the command printed."""

from __future__ import annotations

from pathlib import Path

from bench.hostile_inputs import Outcome, _result, run_index


def test_the_outcome_is_read_from_the_command_s_output() -> None:
    out = "Indexed: 1 documents, 12 passages (0 tables, 0 table rows, 0 figures), ...; skipped: none; 1.0 s\n"
    warned = _result(out, "warning: xss.questions.jsonl:3: not JSON\n", 0, 60)
    assert warned == "indexed: 12 passages; 1 question warnings"
    err = "WARNING indexer.ingest: skipped bomb.pdf: page 1 holds more\nskipped bomb.pdf: page 1 holds more than 16 MB"
    assert _result("", err, 1, 60) == "skipped: page 1 holds more than 16 MB"
    alone = "reportqa: no reports to index in /tmp/corpus (skipped bomb.pdf: page 1 holds (a lot))\n"
    assert _result("", alone, 1, 60) == "skipped: page 1 holds (a lot)"
    assert _result("", "", -9, 60) == "still running after 60 s: killed"
    assert _result("", "Traceback …\nRecursionError: too deep\n", 1, 60) == "exit 1: RecursionError: too deep"


def test_a_file_is_indexed_alone_and_measured(tmp_path: Path) -> None:
    files = tmp_path / "files"
    files.mkdir()
    report = files / "small.md"
    report.write_text("# Small report\n\nPolice disruption relies on warning notices.\n", encoding="utf-8")
    outcome = run_index(report, tmp_path / "work", timeout=300)
    assert isinstance(outcome, Outcome) and outcome.result == "indexed: 1 passages"
    assert outcome.seconds > 0 and outcome.peak_mb > 10 and outcome.size == report.stat().st_size
