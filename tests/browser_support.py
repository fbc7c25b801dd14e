"""What the browser tests share: Debian's Chromium (Playwright's own browser download is not used), a
free port, and a server to point it at, started as users start it (``reportqa serve``) or, for an
app built in the test, in a thread. The ``browser`` fixture (tests/conftest.py) launches Chromium.
Set REPORTQA_REQUIRE_BROWSER=1 (as CI does) to fail rather than skip when Chromium is missing."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from reportqa.settings import PROJECT_ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"  # screenshots
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def require_browser() -> None:
    """Skip the test (fail it with REPORTQA_REQUIRE_BROWSER=1) when Chromium is not installed."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("REPORTQA_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required: apt-get install chromium")
        pytest.skip("Chromium is not installed (apt-get install chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def chromium() -> Iterator:
    """A headless Chromium (a Playwright Browser), closed afterwards."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@contextmanager
def cli_server(env: dict[str, str], timeout: float = 120) -> Iterator[str]:
    """``reportqa serve`` on a free port, with ``env`` added to this process's environment; yields its
    base URL once /api/health answers, and stops the server afterwards."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "reportqa.cli", "serve", "--port", str(port)],
                               env={**os.environ, **env},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                pytest.fail(f"server exited: {process.stdout.read() if process.stdout else ''}")
            try:
                with urllib.request.urlopen(base + "/api/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() >= deadline:
                pytest.fail(f"server did not start within {timeout:g} s")
            time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def real_index_server(settings) -> Iterator[str]:
    """``reportqa serve`` over the real-model index of ``settings`` (the bundled reports); yields its base URL."""
    with cli_server({"REPORTQA_INDEX_DIR": str(settings.index_dir), "REPORTQA_CORPUS_DIR": str(settings.corpus_dir),
                     "HF_HUB_OFFLINE": "1"}) as base:
        yield base


@contextmanager
def app_server(app, port: int) -> Iterator[str]:
    """``app`` served by uvicorn in a thread on ``port``; yields its base URL once it has started."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
