"""The eval job runner (web/workbench/job_runner.py): one job at a time across workers and restarts,
the lock held by the eval process too and never opened through a link, one status every worker
sees, and the server's settings (never its API token) handed to the eval process."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from pydantic import SecretStr
from workbench_support import waiting_job

from web.workbench.job_runner import EvalJobs, JobBusyError, runner_for, settings_env


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
