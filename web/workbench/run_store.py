"""The eval runs as the workbench pages read them: by name among the reports (never an arbitrary
path), cached until their file changes, with the HTTP error a page can show when a run is missing
(404), cannot be read (422) or belongs to a held-back split (403)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import HTTPException

from reportqa.run_files import RunFormatError
from reportqa.runs import (
    Expected,
    QuestionInfo,
    RunInfo,
    RunRecord,
    dev_expectations,
    list_runs,
    load_run,
    question_index,
)
from reportqa.settings import Settings
from web.workbench.file_cache import FileCache, file_stamp

MAX_ERROR = 200
# Read runs, by file; the run list page reads every run, so the bound is well above the runs a
# reports folder holds (a run is a few hundred kilobytes on disk).
_RUNS: FileCache[RunRecord] = FileCache(max_entries=256)
_QUESTIONS: FileCache[dict[str, QuestionInfo]] = FileCache(max_entries=8)  # by question folder
_EXPECTED: FileCache[dict[str, Expected]] = FileCache(max_entries=8)  # by question folder


@dataclass(frozen=True)
class RunRow:
    """A run file in the list of runs: its record, or why it cannot be read. Held-back splits show
    no failure count (their questions are not read one by one)."""

    info: RunInfo
    record: RunRecord | None
    failures: int | None = None
    error: str = ""


def questions(settings: Settings) -> dict[str, QuestionInfo]:
    """The question sets by id, read again when the dev question file changes."""
    source = settings.eval_dir / "questions.jsonl"
    return _QUESTIONS.get(settings.eval_dir, file_stamp(source), lambda: question_index(settings.eval_dir))


def expectations(record: RunRecord, settings: Settings) -> dict[str, Expected]:
    """The reference answers and evidence of the dev questions, read again when the dev question file
    changes; none for a run of a held-back split, whose questions are not shown one by one."""
    if record.headline_only:
        return {}
    source = settings.eval_dir / "questions.jsonl"
    return _EXPECTED.get(settings.eval_dir, file_stamp(source), lambda: dev_expectations(settings.eval_dir))


def load(path: Path, settings: Settings) -> RunRecord:
    """A run file read back, cached until the file changes. Raises RunFormatError."""
    return _RUNS.get(path, file_stamp(path), lambda: load_run(path, questions(settings)))


def run_named(ref: str | None, settings: Settings) -> RunRecord:
    """The run named ``ref`` among the reports; 422 without a name or when it cannot be read, 404 when none has it."""
    if not ref:
        raise HTTPException(status_code=422, detail="Choose a run.")
    info = next((r for r in list_runs(settings.reports_dir) if r.ref == ref), None)
    if info is None:
        raise HTTPException(status_code=404, detail=f"No eval run named {ref[:80]!r}; see the list of runs.")
    try:
        return load(info.path, settings)
    except RunFormatError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc


def run_rows(runs: list[RunInfo], settings: Settings) -> list[RunRow]:
    """A row per run file; a file that cannot be read is listed as unreadable (with why), never a 500."""
    rows = []
    for info in runs:
        try:
            record = load(info.path, settings)
        except RunFormatError as exc:
            rows.append(RunRow(info, None, error=str(exc).replace(str(settings.reports_dir) + "/", "")[:MAX_ERROR]))
            continue
        failures = None if record.headline_only else len(record.failures(settings.eval_failure_rank))
        rows.append(RunRow(info, record, failures))
    return rows


def refuse_held_back(record: RunRecord) -> None:
    """403 for a run of a held-back split: its questions are not to be read one by one."""
    if record.headline_only:
        raise HTTPException(status_code=403, detail=f"Run {record.ref} is of the {record.split} split, which is held "
                                                    "back from tuning: only its headline numbers are shown (on its "
                                                    "run page); its questions are not shown or compared one by one.")
