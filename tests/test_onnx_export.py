"""The ONNX export (indexer.onnx_export): made once with PyTorch, checked against it, written
atomically; a missing or damaged file is exported again, saying so, or refused with the command
to run, and never served."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from indexer import onnx_export
from indexer.onnx_embedder import open_onnx_embedder
from indexer.onnx_export import (
    OnnxModelError,
    check_onnx_model,
    ensure_onnx_model,
    file_sha256,
    onnx_model_path,
    sidecar,
)
from reportqa.settings import Settings

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def good_export() -> Path:
    """The export in the default data directory (made here if the session has not made it yet)."""
    data_dir = Settings().data_dir
    ensure_onnx_model(data_dir)
    return onnx_model_path(data_dir, False)


def copy_export(good: Path, data_dir: Path) -> Path:
    target = onnx_model_path(data_dir, False)
    target.parent.mkdir(parents=True)
    shutil.copy(good, target)
    shutil.copy(sidecar(good), sidecar(target))
    return target


def flip_byte(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def test_an_export_records_its_checksum_opset_and_agreement(tmp_path: Path, good_export: Path) -> None:
    target = copy_export(good_export, tmp_path)
    assert check_onnx_model(target).ok
    record = json.loads(sidecar(target).read_text(encoding="utf-8"))
    assert record["sha256"] == file_sha256(target) and record["bytes"] == target.stat().st_size
    assert record["opset"] == 17 and record["quantized"] is False
    assert record["min_cosine_to_pytorch"] >= 0.9999
    assert target.parent.name.startswith("all-MiniLM-L6-v2-")  # keyed by the model files' hash
    assert record["model_sha256"].startswith(target.parent.name.rsplit("-", 1)[1])


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _other_model(path: Path) -> None:
    record = json.loads(sidecar(path).read_text(encoding="utf-8"))
    sidecar(path).write_text(json.dumps(record | {"model_sha256": "0" * 64}), encoding="utf-8")


DAMAGE = {
    "truncated": (_truncate, "truncated"),
    "bytes changed": (lambda path: flip_byte(path, path.stat().st_size // 2), "checksum"),
    "export never finished": (lambda path: sidecar(path).unlink(), "did not finish"),
    "another model's export": (_other_model, "other model files"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_export_is_refused_with_the_command_to_run(tmp_path: Path, good_export: Path,
                                                             damage: str) -> None:
    target = copy_export(good_export, tmp_path)
    spoil, detail = DAMAGE[damage]
    spoil(target)
    check = check_onnx_model(target)
    assert check.state == "damaged" and detail in check.detail
    with pytest.raises(OnnxModelError, match=r"run `reportqa index`"):
        open_onnx_embedder(tmp_path)  # serving never loads it (and never exports: that needs PyTorch)
    with pytest.raises(OnnxModelError, match=r"damaged .*run `reportqa index`"):
        ensure_onnx_model(tmp_path, rebuild_damaged=False)


def test_a_damaged_export_is_exported_again_saying_so(tmp_path: Path, good_export: Path) -> None:
    target = copy_export(good_export, tmp_path)
    flip_byte(target, target.stat().st_size // 3)
    said: list[str] = []
    check = ensure_onnx_model(tmp_path, say=said.append)
    assert check.state == "damaged"
    assert "damaged (it does not match its checksum): exporting" in said[0] and said[-1].startswith("ONNX model ready")
    assert check_onnx_model(target).ok
    assert open_onnx_embedder(tmp_path).embed(["sexual risk order"]).shape == (1, 384)


def test_a_missing_export_is_made_and_one_that_fails_its_check_is_never_kept(
        tmp_path: Path, good_export: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The real export is exercised above; here it is a copy, so the write-check-rename path runs fast.
    monkeypatch.setattr(onnx_export, "_export_fp32", lambda target, source: shutil.copy(good_export, target))
    said: list[str] = []
    assert ensure_onnx_model(tmp_path, say=said.append).state == "missing"
    target = onnx_model_path(tmp_path, False)
    assert said[0].startswith("Exporting the embedding model to ONNX, once") and check_onnx_model(target).ok

    target.unlink()
    half = good_export.read_bytes()[:1_000_000]
    monkeypatch.setattr(onnx_export, "_export_fp32", lambda target, source: target.write_bytes(half))
    with pytest.raises(OnnxModelError, match="failed its check .* it was not kept"):
        ensure_onnx_model(tmp_path)
    assert list(target.parent.iterdir()) == []  # no half-written file, no temporary, no sidecar


def test_search_refuses_a_damaged_export_and_index_exports_it_again(
        tmp_path: Path, good_export: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from conftest import FIXTURE_CORPUS

    from reportqa.cli import main

    target = copy_export(good_export, tmp_path)
    flip_byte(target, 1000)
    monkeypatch.setenv("REPORTQA_DATA_DIR", str(tmp_path))
    paths = ["--corpus", str(FIXTURE_CORPUS), "--index", str(tmp_path / "index")]
    assert main(["search", "sexual risk order", *paths]) == 1
    err = capsys.readouterr().err
    assert "the ONNX model" in err and "is damaged" in err and "run `reportqa index`" in err
    assert not (tmp_path / "index").exists()  # refused before anything was built
    monkeypatch.setattr(onnx_export, "_export_fp32", lambda target, source: shutil.copy(good_export, target))
    assert main(["index", *paths]) == 0
    err = capsys.readouterr().err
    assert "is damaged (it does not match its checksum): exporting the embedding model to ONNX again" in err
    assert check_onnx_model(target).ok
    assert main(["index", "--check", *paths]) == 0
