"""The eval job runner (web/workbench/job_runner.py): one job at a time across workers and restarts,
the lock held by the eval process too and never opened through a link, one status every worker
sees, and the server's settings (never its API token) handed to the eval process."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest
from pydantic import SecretStr
from workbench_support import waiting_job

from web.workbench.job_runner import EvalJobs, JobBusyError, runner_for, settings_env, sweep_temp_folders


def test_one_job_at_a_time(tmp_path: Path) -> None:
    lock = tmp_path / "eval.lock"
    jobs, other_worker = EvalJobs(lock), EvalJobs(lock)
    gate, progress = tmp_path / "gate", tmp_path / "progress.json"
    first = jobs.start(waiting_job(gate, progress), dict(os.environ), ["bm25"], "dev", progress)
    with pytest.raises(JobBusyError, match="already going"):
        jobs.start(waiting_job(gate, progress), dict(os.environ), ["bm25"], "dev", progress)
    with pytest.raises(JobBusyError, match="another server process"):  # the lock holds across processes
        other_worker.start(waiting_job(gate, progress), dict(os.environ), ["bm25"], "dev", progress)
    deadline = time.monotonic() + 10
    while jobs.status().done != 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (jobs.status().done, jobs.status().total, jobs.status().percent) == (1, 4, 25)
    gate.touch()
    done = jobs.wait(20)
    assert done.id == first.id and done.state == "done" and done.written == ("x-bm25.json",)
    broken = [sys.executable, "-c", "import sys; print('no questions file'); sys.exit(3)"]
    assert jobs.start(broken, dict(os.environ), ["full"], "dev", progress).id == first.id + 1  # free again
    failed = jobs.wait(20)
    assert failed.state == "failed" and "exit 3" in failed.message and "no questions file" in failed.message


def test_the_subprocess_gets_this_servers_settings(wb_settings, monkeypatch) -> None:
    from reportqa.settings import Settings

    env = settings_env(wb_settings.model_copy(update={"api_token": SecretStr("never-passed")}))
    assert "REPORTQA_API_TOKEN" not in env
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    again = Settings()
    for name in ("index_dir", "corpus_dir", "embedder", "reports_dir", "judgements_path", "eval_dir",
                 "chunk_target_tokens", "weights_path", "allowed_hosts", "evaluator_mode"):
        assert getattr(again, name) == getattr(wb_settings, name), name


def test_the_run_lock_is_held_by_the_eval_process_too(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    jobs = runner_for(reports)
    assert jobs is runner_for(reports) and jobs.lock_path == reports.resolve() / ".eval-job.lock"
    gate, progress = tmp_path / "gate", tmp_path / "progress.json"
    # the eval process leaves a child behind and exits: the watcher lets go, the child still holds the lock
    waiter = f"import pathlib, time\nwhile not pathlib.Path({str(gate)!r}).exists(): time.sleep(0.05)\n"
    code = f"import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', {waiter!r}], close_fds=False)\n"
    jobs.start([sys.executable, "-c", code], dict(os.environ), ["bm25"], "dev", progress)
    finished = jobs.wait(20)
    assert finished.state == "done", finished.message
    with pytest.raises(JobBusyError, match="already going"):
        EvalJobs(jobs.lock_path).start(waiting_job(gate, progress), dict(os.environ), ["bm25"], "dev", progress)
    gate.touch()
    deadline = time.monotonic() + 10
    while jobs._held() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not jobs._held()


def test_the_run_lock_is_never_opened_through_a_link(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("keep", encoding="utf-8")
    lock = tmp_path / "reports" / ".eval-job.lock"
    lock.parent.mkdir()
    lock.symlink_to(target)
    with pytest.raises(OSError):
        EvalJobs(lock).start([sys.executable, "-c", "pass"], dict(os.environ), ["bm25"], "dev",
                             tmp_path / "progress.json")
    assert target.read_text(encoding="utf-8") == "keep"


def test_every_worker_sees_the_same_job_status(tmp_path: Path) -> None:
    lock = tmp_path / "eval.lock"
    jobs, other_worker = EvalJobs(lock), EvalJobs(lock)
    gate, progress = tmp_path / "gate", tmp_path / "progress.json"
    started = jobs.start(waiting_job(gate, progress), dict(os.environ), ["bm25"], "dev", progress)
    deadline = time.monotonic() + 10
    while other_worker.status() is None or other_worker.status().done != 1:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    seen = other_worker.status()
    assert (seen.id, seen.state, seen.total) == (started.id, "running", 4)
    gate.touch()
    jobs.wait(20)
    assert other_worker.status().state == "done" and other_worker.status().written == ("x-bm25.json",)


def test_the_eval_process_never_gets_the_api_token(wb_settings, monkeypatch, tmp_path: Path) -> None:
    import web.workbench.job_runner

    seen: dict = {}

    class FakeProcess:
        pid, returncode = 4242, 0

        def __init__(self, command, **kwargs) -> None:
            seen.update(kwargs)

        def poll(self) -> int:
            return 0

    monkeypatch.setenv("REPORTQA_API_TOKEN", "never-passed")
    monkeypatch.setenv("SOMETHING_ELSE", "kept")
    monkeypatch.setattr(web.workbench.job_runner.subprocess, "Popen", FakeProcess)
    settings = wb_settings.model_copy(update={"api_token": SecretStr("never-passed"),
                                              "reports_dir": tmp_path / "reports"})
    jobs = runner_for(settings.reports_dir)
    jobs.start_eval(settings, ["bm25"], "dev", with_ask=False)
    jobs.wait(10)
    env = seen["env"]
    assert "REPORTQA_API_TOKEN" not in env and "never-passed" not in env.values()
    assert env["SOMETHING_ELSE"] == "kept" and env["REPORTQA_REPORTS_DIR"] == str(settings.reports_dir)
    assert len(seen["pass_fds"]) == 1  # the locked file goes to the eval process


# --- a run whose server went away (issue 22, D12) ----------------------------------------------------------------
def _without_a_watcher(monkeypatch) -> None:
    """The server's watcher thread dies at once, as with the server (a crash): it records nothing, and
    lets go of the run lock, which the eval process keeps until it ends."""
    def gone(self, process, job_id, progress, log_path, lock_fd, folder) -> None:
        os.close(lock_fd)

    monkeypatch.setattr(EvalJobs, "_watch", gone)


@pytest.mark.parametrize("ends", ["written", "killed"])
def test_a_run_whose_server_went_away_reads_as_it_ended(tmp_path: Path, monkeypatch, ends: str) -> None:
    _without_a_watcher(monkeypatch)
    lock = tmp_path / "reports" / ".eval-job.lock"
    folder = tmp_path / "reportqa-eval-crash"
    folder.mkdir()
    progress = folder / "progress.json"
    final = {"done": 8, "total": 8, "stage": "written", "written": ["x-bm25.json"]} if ends == "written" \
        else {"done": 3, "total": 8, "stage": "bm25"}
    code = f"import json, pathlib\npathlib.Path({str(progress)!r}).write_text(json.dumps({final!r}))\n"
    crashed = EvalJobs(lock)
    crashed.start([sys.executable, "-c", code], dict(os.environ), ["bm25"], "dev", progress, folder)
    restarted = EvalJobs(lock)  # the server started again, or another worker
    deadline = time.monotonic() + 20
    while restarted._held() and time.monotonic() < deadline:  # the eval process still runs
        time.sleep(0.05)
    status = restarted.status()
    if ends == "written":
        assert status.state == "done" and status.written == ("x-bm25.json",) and (status.done, status.total) == (8, 8)
        assert "recorded its end" in status.message
    else:
        assert status.state == "failed" and (status.done, status.total) == (3, 8) and "not written" in status.message
    assert not folder.exists()  # its temporary folder is cleaned up
    recorded = json.loads(restarted.status_path.read_text(encoding="utf-8"))
    assert recorded["state"] == status.state  # settled once, for every worker
    assert EvalJobs(lock).status() == status


def test_temporary_folders_older_than_any_run_are_swept(tmp_path: Path) -> None:
    old, recent, other = tmp_path / "reportqa-eval-old", tmp_path / "reportqa-eval-new", tmp_path / "keep-old"
    for folder in (old, recent, other):
        folder.mkdir()
        (folder / "progress.json").write_text("{}", encoding="utf-8")
    week = time.time() - 8 * 24 * 3600
    for folder in (old, other):
        os.utime(folder, (week, week))
    assert sweep_temp_folders(tmp_path) == [old]
    assert recent.exists() and other.exists()
