"""Eval runs started from the evaluator workbench: `reportqa eval` in a subprocess (the web layer
may not import eval; a separate process also keeps a long run from slowing searches' Python
threads), one at a time, with its progress read from a small JSON file the run keeps up to date.

One at a time holds across server workers too: the watcher holds an exclusive lock on
``<reports dir>/.eval-job.lock`` while the run goes, and a second start anywhere is refused.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from reportqa.settings import Settings

log = logging.getLogger(__name__)
ENV_PREFIX = "REPORTQA_"
POLL_SECONDS = 0.5
State = Literal["running", "done", "failed"]


class JobBusyError(RuntimeError):
    """An eval run is already going; the message says which and how far it is."""


@dataclass(frozen=True)
class JobStatus:
    """A snapshot of the current (or last) eval run."""

    id: int
    state: State
    configs: tuple[str, ...]
    split: str
    started: str
    done: int = 0
    total: int = 0
    stage: str = "starting"
    finished: str | None = None
    message: str = ""
    written: tuple[str, ...] = ()

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def running(self) -> bool:
        return self.state == "running"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as REPORTQA_* variables, so that the subprocess runs on this server's index,
    questions, judgements and reports. The API token is never passed on (eval does not need it)."""
    env = {}
    for name, value in settings.model_dump(mode="json").items():
        if value is None or name == "api_token":
            continue
        env[ENV_PREFIX + name.upper()] = json.dumps(value) if isinstance(value, (list, dict)) else \
            ("true" if value is True else "false" if value is False else str(value))
    return env


def eval_command(configs: list[str], split: str, with_ask: bool, progress_file: Path) -> list[str]:
    """The `reportqa eval` command line of a run started from the page."""
    return [sys.executable, "-m", "reportqa.cli", "eval", "--split", split, "--config", *configs,
            *([] if with_ask else ["--no-ask"]), "--progress-file", str(progress_file)]


class EvalJobs:
    """Runs at most one eval subprocess at a time and reports its progress."""

    def __init__(self, lock_path: Path) -> None:
        self.lock_path = lock_path
        self._lock = threading.Lock()
        self._status: JobStatus | None = None
        self._thread: threading.Thread | None = None
        self._count = 0

    def status(self) -> JobStatus | None:
        """The current or last job, or None before the first."""
        return self._status

    def start_eval(self, settings: Settings, configs: list[str], split: str, with_ask: bool) -> JobStatus:
        """Start `reportqa eval` on this server's settings. Raises JobBusyError while one runs."""
        folder = Path(tempfile.mkdtemp(prefix="reportqa-eval-"))
        progress = folder / "progress.json"
        env = {**os.environ, **settings_env(settings)}
        try:
            return self.start(eval_command(configs, split, with_ask, progress), env, configs, split, progress, folder)
        except JobBusyError:
            shutil.rmtree(folder, ignore_errors=True)
            raise

    def start(self, command: list[str], env: dict[str, str], configs: list[str], split: str, progress: Path,
              folder: Path | None = None) -> JobStatus:
        """Start ``command`` in the background; it reports through the JSON file ``progress``
        (``{"done", "total", "stage", "written"}``). Raises JobBusyError while a job is running."""
        with self._lock:
            current = self._status
            if current is not None and current.running:
                raise JobBusyError(f"An eval run is already going (run {current.id}: {', '.join(current.configs)}; "
                                   f"{current.done} of {current.total or '?'} steps). Wait for it to finish.")
            self.lock_path.parent.mkdir(parents=True, exist_ok=True)
            lock_fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                os.close(lock_fd)
                raise JobBusyError("An eval run started by another server process is already going. "
                                   "Wait for it to finish.") from exc
            log_path = (folder or progress.parent) / "eval.log"
            try:
                with log_path.open("wb") as out:
                    process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                               stdin=subprocess.DEVNULL)
            except OSError:
                os.close(lock_fd)
                raise
            self._count += 1
            self._status = JobStatus(self._count, "running", tuple(configs), split, _now())
            self._thread = threading.Thread(target=self._watch, args=(process, self._count, progress, log_path,
                                                                      lock_fd, folder),
                                            daemon=True, name=f"eval-job-{self._count}")
            self._thread.start()
            return self._status

    def wait(self, timeout: float | None = None) -> JobStatus | None:
        """Block until the current job ends (or ``timeout``); its status."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self._status

    def _update(self, job_id: int, **changes) -> None:
        with self._lock:
            if self._status is not None and self._status.id == job_id:
                self._status = replace(self._status, **changes)

    def _read_progress(self, job_id: int, progress: Path) -> dict:
        try:
            data = json.loads(progress.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        self._update(job_id, done=int(data.get("done", 0)), total=int(data.get("total", 0)),
                     stage=str(data.get("stage", "")))
        return data

    def _watch(self, process: subprocess.Popen, job_id: int, progress: Path, log_path: Path, lock_fd: int,
               folder: Path | None) -> None:
        try:
            while process.poll() is None:
                self._read_progress(job_id, progress)
                time.sleep(POLL_SECONDS)
            data = self._read_progress(job_id, progress)
            if process.returncode == 0:
                written = tuple(str(w) for w in data.get("written", []))
                self._update(job_id, state="done", finished=_now(), stage="written", written=written,
                             message=f"Wrote {len(written)} report files.")
            else:
                tail = [line for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines()
                        if line.strip()][-3:]
                self._update(job_id, state="failed", finished=_now(),
                             message=f"reportqa eval stopped (exit {process.returncode}): " + " / ".join(tail))
        except Exception as exc:  # the watcher must never take the server down
            log.exception("eval run %d could not be watched", job_id)
            self._update(job_id, state="failed", finished=_now(), message=f"{exc.__class__.__name__}: {exc}")
        finally:
            fcntl.flock(lock_fd, fcntl.LOCK_UN)
            os.close(lock_fd)
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
