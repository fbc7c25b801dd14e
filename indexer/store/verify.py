"""Checking a build before it is served: against the settings it must have been built with
(``BuildSpec``), against the checksums of its own manifest (``verify_files``), and, once open,
for files changed on disk since (``file_stamps``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from indexer.corpus import sha256_file
from indexer.store.errors import IndexCorruptError
from indexer.store.manifest import IndexManifest
from indexer.store.paths import FORMAT_VERSION, INDEX_FILES


@dataclass
class BuildSpec:
    """What an index must have been built with to be usable: checked on every open."""

    model_name: str
    dim: int
    chunker: dict
    structure: dict = field(default_factory=dict)  # how structure is read (PDF layout, measure cards)

    def mismatches(self, manifest: IndexManifest) -> list[str]:
        """What differs between this spec and the build described by ``manifest`` (empty: none)."""
        problems = []
        if manifest.format_version != FORMAT_VERSION:
            problems.append(f"index format {manifest.format_version} (this version reads {FORMAT_VERSION})")
        model = manifest.model
        if model.name != self.model_name or model.dim != self.dim:
            problems.append(f"model {model.name}/{model.dim} (settings use {self.model_name}/{self.dim})")
        if manifest.chunker != self.chunker:
            problems.append(f"chunker settings {manifest.chunker} (settings use {self.chunker})")
        if self.structure and manifest.structure != self.structure:
            problems.append("other PDF layout or measure-card settings than the current ones")
        return problems


def verify_files(build: Path, manifest: IndexManifest, hashes: bool = True) -> None:
    """Check every index file against the manifest (presence, size, and sha256 if ``hashes``).

    Raises IndexCorruptError naming the first bad file.
    """
    files = manifest.files
    for name in list(INDEX_FILES) + sorted(set(files) - set(INDEX_FILES)):
        path = build / name
        expected = files.get(name)
        if expected is None or not path.exists():
            raise IndexCorruptError(f"{path} is missing; run `reportqa index --rebuild`")
        size = path.stat().st_size
        if size != expected.bytes:
            raise IndexCorruptError(
                f"{path} is truncated or damaged ({size} bytes, expected {expected.bytes}); "
                "run `reportqa index --rebuild`")
        if hashes and sha256_file(path) != expected.sha256:
            raise IndexCorruptError(f"{path} does not match its checksum; run `reportqa index --rebuild`")


def file_stamps(build: Path, manifest: IndexManifest) -> dict[str, tuple[int, int] | None]:
    """Size and modification time of every file the manifest lists (None: gone), for noticing cheaply
    that a file changed after it was verified."""
    out: dict[str, tuple[int, int] | None] = {}
    for name in manifest.files:
        try:
            st = (build / name).stat()
            out[name] = (st.st_size, st.st_mtime_ns)
        except OSError:
            out[name] = None
    return out
