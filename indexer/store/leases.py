"""Leases: a serving process records the build it reads, so that pruning old builds never removes
it, even when back-to-back builds push it out of the newest few. A lease of a dead process is void."""

from __future__ import annotations

import os
from pathlib import Path

LEASES = "leases"


def take_lease(index_dir: Path, build: Path) -> Path:
    """Record that this process serves ``build``. Returns the lease file (remove it with
    ``release_lease`` when the build is no longer served)."""
    folder = index_dir / LEASES
    folder.mkdir(parents=True, exist_ok=True)
    lease = folder / f"{os.getpid()}-{build.name}"
    lease.write_text(build.name, encoding="utf-8")
    return lease


def release_lease(lease: Path | None) -> None:
    """Give up a lease taken with ``take_lease`` (None: nothing to do)."""
    if lease is not None:
        lease.unlink(missing_ok=True)


def leased_builds(index_dir: Path) -> set[str]:
    """Builds that a live process holds a lease on (leases of dead processes are removed)."""
    held: set[str] = set()
    for lease in (index_dir / LEASES).glob("*-build-*") if (index_dir / LEASES).is_dir() else ():
        pid, _, name = lease.name.partition("-")
        if pid.isdigit() and _alive(int(pid)):
            held.add(name)
        else:
            lease.unlink(missing_ok=True)
    return held


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
