"""Running one call in a child process within memory and time (indexer.bounded): its result or its
exception comes back, its warnings are logged here, and a call that needs more memory or time, or that
crashes, is stopped and reported in words, never taking the caller down (issue 22, D3)."""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path

import pytest

from indexer.bounded import BoundExceeded, Bounds, run_bounded
from indexer.loaders import LoadError

ROOMY = Bounds(memory_mb=512, seconds=30)


def add(a: int, b: int) -> int:
    logging.getLogger("indexer.test").warning("adding %d and %d", a, b)
    return a + b


def refuse(path: str) -> None:
    raise LoadError(Path(path), "the PDF is malformed (no trailer)")


def allocate(megabytes: int) -> int:
    block = bytearray(megabytes * 2**20)
    return len(block)


def spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def crash() -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


def test_the_result_and_the_warnings_come_back(caplog) -> None:
    with caplog.at_level(logging.WARNING):
        assert run_bounded(add, (2, 3), ROOMY) == 5
    assert ("indexer.test", logging.WARNING, "adding 2 and 3") in caplog.record_tuples


def test_an_exception_in_the_child_is_raised_again_whole() -> None:
    with pytest.raises(LoadError) as caught:
        run_bounded(refuse, ("/corpus/broken.pdf",), ROOMY)
    assert caught.value.path == Path("/corpus/broken.pdf")
    assert caught.value.reason == "the PDF is malformed (no trailer)"


def test_a_call_that_needs_more_memory_is_stopped() -> None:
    assert run_bounded(allocate, (64,), Bounds(memory_mb=384, seconds=30)) == 64 * 2**20
    with pytest.raises(BoundExceeded, match="needed more than 384 MB of memory"):
        run_bounded(allocate, (800,), Bounds(memory_mb=384, seconds=30))


def test_a_call_that_takes_too_long_is_stopped() -> None:
    started = time.monotonic()
    with pytest.raises(BoundExceeded, match="took longer than 1 s"):
        run_bounded(spin, (60.0,), Bounds(memory_mb=512, seconds=1))
    assert time.monotonic() - started < 30  # stopped, not waited for


def test_a_crash_is_reported_not_suffered() -> None:
    with pytest.raises(BoundExceeded, match=r"crashed the reader \(SIGSEGV\)"):
        run_bounded(crash, (), ROOMY)
    assert run_bounded(add, (1, 1), ROOMY) == 2  # and the next call works
