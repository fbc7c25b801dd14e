"""`reportqa serve` (issue 21, item 10): a port in use is said at once, with how to pick another, before
any index is built; "serving on" is printed only once the server answers on its socket."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browser_support import free_port


def _fake_env(settings) -> dict[str, str]:
    return dict(os.environ, REPORTQA_EMBEDDER="fake", REPORTQA_CORPUS_DIR=str(settings.corpus_dir),
                REPORTQA_INDEX_DIR=str(settings.index_dir), REPORTQA_CHUNK_TARGET_TOKENS="60",
                REPORTQA_WEIGHTS_PATH=str(settings.weights_path), PYTHONUNBUFFERED="1")


def test_a_port_in_use_is_said_with_how_to_pick_another(tmp_path: Path, monkeypatch, capsys) -> None:
    from reportqa.cli import main

    # no corpus and no index here: the refusal must come before any index is built
    monkeypatch.setenv("REPORTQA_CORPUS_DIR", str(tmp_path / "corpus"))
    monkeypatch.setenv("REPORTQA_INDEX_DIR", str(tmp_path / "index"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 1
    out, err = capsys.readouterr()
    assert "serving on" not in out + err
    assert f"port {port} on 127.0.0.1 is already in use" in err
    assert "reportqa serve --port " in err and "REPORTQA_PORT=" in err
    assert "Errno" not in err and "Traceback" not in err
    assert not (tmp_path / "index").exists()


def test_serving_on_is_printed_once_the_socket_answers(fake_built) -> None:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "reportqa.cli", "serve", "--port", str(port)],
                               env=_fake_env(fake_built), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        lines = []
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                pytest.fail("the server exited: " + "".join(lines))
            lines.append(line)
            if "serving on" in line:
                break
        assert f"serving on http://127.0.0.1:{port}/" in lines[-1]
        # at once, with no retry: the announcement means the socket listens and the app has started
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5) as response:
            assert response.status == 200
    finally:
        process.terminate()
        process.wait(timeout=20)
