"""Eval runs started from the evaluator workbench (its pages: web/workbench/jobs.py): `reportqa eval`
in a subprocess (the web layer may not import eval; a separate process also keeps a long run from
slowing searches' Python threads), one at a time, with its progress read from a small JSON file the
run keeps up to date.

One at a time holds across server workers and restarts: the run takes an exclusive lock (flock) on
``<reports dir>/.eval-job.lock`` (opened with O_NOFOLLOW, never through a link) and hands the locked
file to the eval subprocess too, so the lock lasts as long as the server's watcher thread *or* the
eval process holds it: a server restart does not free it while the old run still writes. A second
start anywhere is refused while it is held. The run's status is kept in
``<reports dir>/.eval-job.status.json`` next to the lock, so every worker shows the same run.
A run is stopped after ``eval_job_timeout_seconds``.

A run whose server went away (a crash, a restart) is settled by the first worker to look once the
run lock is free: as done when the eval process recorded its end (its progress file's last state,
"written"), as failed otherwise; either way its temporary folder (``reportqa-eval-*``, the progress
file and the log) is removed. Such folders left older than a week (the longest timeout) are swept
when a run starts.
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

from reportqa.run_files import remove_old_folders
from reportqa.settings import Settings

log = logging.getLogger(__name__)
ENV_PREFIX = "REPORTQA_"
POLL_SECONDS = 0.5
LOCK_NAME = ".eval-job.lock"
STATUS_SUFFIX = ".status.json"
DEFAULT_TIMEOUT_SECONDS = 7200.0
TEMP_PREFIX = "reportqa-eval-"
STALE_TEMP_SECONDS = 7 * 24 * 3600 + 3600  # older than the longest timeout a run may have
FINISHED_STAGE = "written"  # the progress file's stage once the eval process wrote its reports
STARTING_STAGE = "loading the index and the questions"
SECRET_VARIABLES = (ENV_PREFIX + "API_TOKEN",)  # never handed to the eval subprocess
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
    stage: str = STARTING_STAGE
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


def eval_env(settings: Settings, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of an eval subprocess: ``base`` (os.environ) without the API token, plus this
    server's settings (``settings_env``)."""
    env = {k: v for k, v in (os.environ if base is None else base).items() if k not in SECRET_VARIABLES}
    return {**env, **settings_env(settings)}


_RUNNERS: dict[Path, EvalJobs] = {}
_RUNNERS_LOCK = threading.Lock()


def runner_for(reports_dir: Path, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> EvalJobs:
    """The one job runner of a reports folder in this process (made once, under a lock)."""
    lock_path = reports_dir.resolve() / LOCK_NAME
    with _RUNNERS_LOCK:
        jobs = _RUNNERS.get(lock_path)
        if jobs is None:
            jobs = _RUNNERS[lock_path] = EvalJobs(lock_path, timeout_seconds)
        jobs.timeout_seconds = timeout_seconds
        return jobs


def _write_json(path: Path, data: dict) -> None:
    """Replace ``path`` whole (temp file + os.replace), so a reader never sees half of it."""
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class EvalJobs:
    """Runs at most one eval subprocess at a time (across workers) and reports its progress."""

    def __init__(self, lock_path: Path, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.lock_path = lock_path
        self.status_path = lock_path.with_name(lock_path.stem + STATUS_SUFFIX)
        self.timeout_seconds = timeout_seconds
        self._lock = threading.RLock()  # status() may settle a run from inside start()
        self._thread: threading.Thread | None = None

    # --- the shared status file --------------------------------------------------------------------------
    def _read_file(self) -> dict:
        return _read_dict(self.status_path)

    def _write_file(self, data: dict) -> None:
        try:
            _write_json(self.status_path, data)
        except OSError:
            log.exception("the eval job status could not be written")

    def _update(self, job_id: int, **changes) -> None:
        with self._lock:
            data = self._read_file()
            if data.get("id") == job_id:
                self._write_file({**data, **changes})

    def _held(self) -> bool:
        """The run lock is held now (by a watcher or an eval process, in any process)."""
        try:
            fd = os.open(self.lock_path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

    def status(self) -> JobStatus | None:
        """The current or last job of this reports folder, as any worker sees it; None before the first."""
        data = self._read_file()
        try:
            status = JobStatus(int(data["id"]), data["state"], tuple(data.get("configs", ())), str(data["split"]),
                               str(data["started"]), finished=data.get("finished"),
                               message=str(data.get("message", "")), stage=str(data.get("stage", STARTING_STAGE)),
                               written=tuple(str(w) for w in data.get("written", ())),
                               done=_count(data.get("done", 0)), total=_count(data.get("total", 0)))
        except (KeyError, TypeError, ValueError):
            return None
        if not status.running:
            return status
        progress = _progress(Path(str(data.get("progress", ""))))
        status = replace(status, done=_count(progress.get("done", status.done)),
                         total=_count(progress.get("total")) or status.total,
                         stage=str(progress.get("stage", status.stage)))
        watched = self._thread is not None and self._thread.is_alive()
        if not watched and not self._held():  # nobody holds the run any more: its watcher went with a server
            return self._settle(status) or status
        return status

    def _settle(self, status: JobStatus) -> JobStatus | None:
        """Record the end of ``status``'s run, whose watcher went with its server: done when its
        progress file says its reports were written, failed otherwise; then remove its temporary
        folder. Done under the run lock, so one worker settles it and a new run cannot start
        meanwhile. None when the run lock is held after all, or the status file moved on."""
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None
            with self._lock:
                data = self._read_file()
                if data.get("id") != status.id or data.get("state") != "running":
                    return None
                end = _orphan_end(data)
                self._write_file({**data, **end})
                _remove_folder(data)
        finally:
            os.close(fd)
        return replace(status, state=end["state"], finished=end["finished"], message=end["message"],
                       done=end["done"], total=end["total"] or status.total, stage=end.get("stage", status.stage),
                       written=tuple(end.get("written", ())))

    def start_eval(self, settings: Settings, configs: list[str], split: str, with_ask: bool,
                   expected_steps: int = 0) -> JobStatus:
        """Start `reportqa eval` on this server's settings (``expected_steps``: how many steps it
        should take, shown until the eval process counts them). Raises JobBusyError while one runs."""
        sweep_temp_folders()
        folder = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX))
        progress = folder / "progress.json"
        try:
            return self.start(eval_command(configs, split, with_ask, progress), eval_env(settings), configs, split,
                              progress, folder, expected_steps)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise

    def start(self, command: list[str], env: dict[str, str], configs: list[str], split: str, progress: Path,
              folder: Path | None = None, expected_steps: int = 0) -> JobStatus:
        """Start ``command`` in the background; it reports through the JSON file ``progress``
        (``{"done", "total", "stage", "written"}``), kept in ``folder`` (removed when the run ends).
        Raises JobBusyError while a job is running (here or in another process), OSError when the
        lock cannot be made."""
        with self._lock:
            current = self.status()
            if self._thread is not None and self._thread.is_alive() and current is not None:
                raise JobBusyError(f"An eval run is already going (run {current.id}: {', '.join(current.configs)}; "
                                   f"{current.done} of {current.total or '?'} steps). Wait for it to finish.")
            self.lock_path.parent.mkdir(parents=True, exist_ok=True)
            lock_fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                os.close(lock_fd)
                which = f" (run {current.id}: {', '.join(current.configs)})" if current is not None else ""
                raise JobBusyError(f"An eval run started by another server process is already going{which}. "
                                   "Wait for it to finish.") from exc
            log_path = (folder or progress.parent) / "eval.log"
            try:
                with log_path.open("wb") as out:
                    # the child inherits the locked file: the lock lasts while either of us holds it
                    process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                               stdin=subprocess.DEVNULL, pass_fds=(lock_fd,))
            except OSError:
                os.close(lock_fd)
                raise
            job_id = (current.id if current is not None else 0) + 1
            status = JobStatus(job_id, "running", tuple(configs), split, _now(), total=expected_steps,
                               stage=STARTING_STAGE)
            self._write_file({"id": job_id, "state": "running", "configs": list(configs), "split": split,
                              "started": status.started, "progress": str(progress), "pid": process.pid,
                              "total": expected_steps, "stage": STARTING_STAGE,
                              "folder": str(folder) if folder is not None else ""})
            self._thread = threading.Thread(target=self._watch, args=(process, job_id, progress, log_path,
                                                                      lock_fd, folder),
                                            daemon=True, name=f"eval-job-{job_id}")
            self._thread.start()
            return status

    def wait(self, timeout: float | None = None) -> JobStatus | None:
        """Block until the current job ends (or ``timeout``); its status."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.status()

    def _watch(self, process: subprocess.Popen, job_id: int, progress: Path, log_path: Path, lock_fd: int,
               folder: Path | None) -> None:
        deadline = time.monotonic() + self.timeout_seconds
        try:
            while process.poll() is None:
                if time.monotonic() > deadline:
                    process.kill()
                    process.wait()
                    self._update(job_id, state="failed", finished=_now(),
                                 message=f"reportqa eval was stopped after {self.timeout_seconds:.0f} seconds "
                                         "(REPORTQA_EVAL_JOB_TIMEOUT_SECONDS).")
                    return
                time.sleep(POLL_SECONDS)
            data = _progress(progress)
            if process.returncode == 0:
                written = tuple(str(w) for w in data.get("written", []))
                self._update(job_id, state="done", finished=_now(), stage="written", written=list(written),
                             done=_count(data.get("done", 0)), total=_count(data.get("total", 0)),
                             message=f"Wrote {len(written)} report files.")
            else:
                tail = [line for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines()
                        if line.strip()][-3:]
                self._update(job_id, state="failed", finished=_now(), done=_count(data.get("done", 0)),
                             total=_count(data.get("total", 0)),
                             message=f"reportqa eval stopped (exit {process.returncode}): " + " / ".join(tail))
        except Exception as exc:  # the watcher must never take the server down
            log.exception("eval run %d could not be watched", job_id)
            self._update(job_id, state="failed", finished=_now(), message=f"{exc.__class__.__name__}: {exc}")
        finally:
            os.close(lock_fd)  # not LOCK_UN: that would free the lock the eval process may still hold
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)


def _read_dict(path: Path) -> dict:
    """The JSON object in ``path``, or {} when there is none (or it is not one, however damaged)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _progress(path: Path) -> dict:
    """The progress file the eval subprocess keeps, or {} while there is none."""
    return _read_dict(path)


def _orphan_end(data: dict) -> dict:
    """The end of a run whose server went away, from its status and the last state of its progress file."""
    progress = _progress(Path(str(data.get("progress", ""))))
    counts = {"done": _count(progress.get("done")), "total": _count(progress.get("total"))}
    if progress.get("stage") == FINISHED_STAGE:
        written = [str(w) for w in progress.get("written") or [] if isinstance(w, str)]
        return {"state": "done", "finished": _now(), "stage": FINISHED_STAGE, "written": written, **counts,
                "message": f"Wrote {len(written)} report files (the server stopped during the run; "
                           "the eval process recorded its end)."}
    return {"state": "failed", "finished": _now(), "stage": str(progress.get("stage", STARTING_STAGE)), **counts,
            "message": "The server stopped while this run went, and the eval process did not record an end: "
                       "its reports were not written. Start the run again."}


def _count(value: object) -> int:
    try:
        return max(0, int(value))  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return 0


def _remove_folder(data: dict) -> None:
    """Remove a run's temporary folder (only one of ours: a ``reportqa-eval-*`` folder)."""
    folder = Path(str(data.get("folder") or ""))
    if folder.name.startswith(TEMP_PREFIX):
        shutil.rmtree(folder, ignore_errors=True)


def sweep_temp_folders(root: Path | None = None, older_than: float = STALE_TEMP_SECONDS) -> list[Path]:
    """Remove the runs' temporary folders left in ``root`` (the temp folder) by servers that went
    away, once older than any run may last. Returns those removed."""
    return remove_old_folders((root or Path(tempfile.gettempdir())).glob(TEMP_PREFIX + "*"), older_than)
