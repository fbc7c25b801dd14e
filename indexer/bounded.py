"""Run one function in a child process whose memory and time are capped, so that a hostile input can
cost a bounded amount and never take the indexer (or ``serve`` at start-up) down.

The child comes from a fork server (a clean process started once, which has imported the readers), not
from a fork of the caller, which may hold threads (the model, the web server). Its address space is
capped with ``RLIMIT_AS`` and its processor time with ``RLIMIT_CPU``; the caller also stops waiting,
and kills it, after the wall-clock limit. Warnings the function logs are passed back and logged by the
caller, so they reach the command line as before.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import resource
import signal
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)
PRELOAD = ["indexer.loaders"]  # imported once in the fork server, not again in every child


@dataclass(frozen=True)
class Bounds:
    """What one call may use: address space in MB, and seconds (wall clock, and processor time)."""

    memory_mb: int
    seconds: float


class BoundExceeded(Exception):
    """The call needed more memory or time than its bounds allow, or its process died; the message
    says which, in words that follow "reading it …"."""


@lru_cache(maxsize=1)
def _context() -> Any:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def run_bounded(function: Callable[..., Any], args: tuple, bounds: Bounds) -> Any:
    """``function(*args)`` run in a child process within ``bounds``; its result, or the exception it
    raised (raised again here). ``function``, its arguments and its result must pickle.

    Raises BoundExceeded when the child runs out of memory or time, or dies."""
    context = _context()
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(send, function, args, bounds), daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(bounds.seconds):
            raise BoundExceeded(f"took longer than {bounds.seconds:g} s")
        try:
            kind, value, records = receive.recv()
        except (EOFError, OSError):
            child.join(5)
            raise BoundExceeded(_death(child.exitcode, bounds)) from None
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receive.close()
    for name, level, message in records:
        logging.getLogger(name).log(level, "%s", message)
    if kind == "memory":
        raise BoundExceeded(f"needed more than {bounds.memory_mb} MB of memory")
    if kind == "error":
        raise value
    return value


def _death(code: int | None, bounds: Bounds) -> str:
    """Why a child ended without an answer, from its exit code."""
    if code in (-signal.SIGXCPU, -signal.SIGKILL):
        return f"took more than {math.ceil(bounds.seconds)} s of processor time or {bounds.memory_mb} MB of memory"
    if code is not None and code < 0:
        return f"crashed the reader ({signal.Signals(-code).name})"
    return f"stopped the reader (exit code {code})"


class _Collect(logging.Handler):
    """Keeps the warnings a child logs, to hand them back."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))


def _child(send: Any, function: Callable[..., Any], args: tuple, bounds: Bounds) -> None:
    memory = bounds.memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    seconds = math.ceil(bounds.seconds)
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no core file of up to the memory cap
    collect = _Collect()
    logging.getLogger().addHandler(collect)
    try:
        outcome: tuple = ("ok", function(*args), collect.records)
    except MemoryError:
        outcome = ("memory", None, collect.records)
    except Exception as exc:  # raised again in the caller
        outcome = ("error", exc, collect.records)
    try:
        send.send(outcome)
    except MemoryError:
        send.send(("memory", None, collect.records))
    except Exception as exc:  # a result or exception that does not pickle
        send.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}"), collect.records))
    send.close()
