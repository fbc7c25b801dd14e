"""The ONNX copy of all-MiniLM-L6-v2 that serving runs without PyTorch: where it lives, how it is
checked, and how it is exported (once, with PyTorch) and optionally quantized.

Layout, under the data directory and keyed by a hash of the packaged model's files (so a new
model package gets its own export and an old one is never used for it)::

    DATA_DIR/models/all-MiniLM-L6-v2-<model hash>/
        model.onnx            opset 17; mean pooling and L2 normalisation inside the graph
        model.onnx.json       its checksum and size, the model hash, how it was made and checked
        model-int8.onnx       dynamic int8 quantization of model.onnx (only when asked for)
        model-int8.onnx.json

The index's atomic-write rules apply: an export is written to a temporary file, checked against
the PyTorch model on fixed texts (one longer than the token limit), then renamed into place, and
only then is its sidecar written. A file without a sidecar that matches it (missing, truncated,
changed bytes, another model's) is never served: ``check_onnx_model`` names the problem, and
``ensure_onnx_model`` exports it again, saying so.

Only the export imports torch and sentence-transformers; checking and locating need neither.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from indexer.embedding import MINILM_NAME, EmbedderError, minilm_model_dir

log = logging.getLogger(__name__)

OPSET = 17
FORMAT = 1
FP32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT = "sentence_embedding"
MIN_COSINE = 0.9999  # the export must reproduce the PyTorch vectors to this cosine on every probe text
MIN_COSINE_INT8 = 0.95  # quantization loses precision by design; this only catches a broken graph
PROBE_TEXTS = (
    "What is a child abduction warning notice?",
    "sexual risk order",
    "How many officers said they had used disruption tactics?",
    "  Leading and trailing spaces, UPPER case, and punctuation: ‘quotes’ — dashes; 42%.  ",
    "",
    " ".join(["Officers recorded every contact with the child so that the evidence could support "
              "further action by the police and partner agencies."] * 20),  # far over the token limit
)


class OnnxModelError(EmbedderError):
    """The ONNX model is missing or damaged and was not (or could not be) exported again."""


@dataclass(frozen=True)
class OnnxCheck:
    """The state of one ONNX file: 'ok', 'missing' or 'damaged', with what is wrong."""

    path: Path
    state: str
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.state == "ok"


@lru_cache(maxsize=4)
def model_files_sha256(folder: Path) -> str:
    """sha256 over the names and bytes of every file of the packaged model (about 60 ms)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(bytes.fromhex(file_sha256(path)))
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def onnx_folder(data_dir: Path, source: Path | None = None) -> Path:
    """Where the exports of the installed model live."""
    return data_dir / "models" / f"{MINILM_NAME}-{model_files_sha256(source or minilm_model_dir())[:16]}"


def onnx_model_path(data_dir: Path, quantized: bool, source: Path | None = None) -> Path:
    """The ONNX file the settings ask for: the int8 one when ``quantized``."""
    return onnx_folder(data_dir, source) / (INT8_FILE if quantized else FP32_FILE)


def sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def check_onnx_model(path: Path, source: Path | None = None) -> OnnxCheck:
    """Whether ``path`` is a complete export of the installed model: present, with a sidecar that
    names this model and whose size and checksum the file matches."""
    if not path.exists():
        return OnnxCheck(path, "missing", f"{path} does not exist")
    try:
        record = json.loads(sidecar(path).read_text(encoding="utf-8"))
        expected_bytes, expected_sha, model_sha = int(record["bytes"]), str(record["sha256"]), record["model_sha256"]
    except FileNotFoundError:
        return OnnxCheck(path, "damaged", f"{sidecar(path).name} is missing (an export that did not finish)")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return OnnxCheck(path, "damaged", f"{sidecar(path).name} cannot be read ({type(exc).__name__})")
    if model_sha != model_files_sha256(source or minilm_model_dir()):
        return OnnxCheck(path, "damaged", "it was exported from other model files")
    stat = path.stat()
    if stat.st_size != expected_bytes:
        return OnnxCheck(path, "damaged",
                         f"it is truncated or damaged ({stat.st_size} bytes, expected {expected_bytes})")
    signature = (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns, expected_sha)
    if signature not in _VERIFIED:  # `reportqa serve` checks before serving and again as the app loads it
        if file_sha256(path) != expected_sha:
            return OnnxCheck(path, "damaged", "it does not match its checksum")
        _VERIFIED.add(signature)
    return OnnxCheck(path, "ok")


_VERIFIED: set[tuple] = set()  # files whose checksum matched, by path, inode, size and modification time


def ensure_onnx_model(data_dir: Path, quantized: bool = False, say: Callable[[str], None] = log.warning,
                      rebuild_damaged: bool = True) -> OnnxCheck:
    """The ONNX model the settings ask for, exported first when it is missing or damaged.

    ``say`` is told before an export starts and when it is done. With ``rebuild_damaged`` off a
    damaged file is refused: OnnxModelError says what to run. Returns the check of the file as it
    now is (state 'ok', or the state it was exported from: 'missing' or 'damaged').
    """
    source = minilm_model_dir()
    path = onnx_model_path(data_dir, quantized, source)
    check = check_onnx_model(path, source)
    if check.ok:
        return check
    if check.state == "damaged" and not rebuild_damaged:
        raise OnnxModelError(f"the ONNX model {path} is damaged ({check.detail}); "
                             "run `reportqa index` to export it again")
    started = time.perf_counter()
    what = "Quantizing the ONNX model to int8" if quantized else "Exporting the embedding model to ONNX"
    if check.state == "missing":
        say(f"{what}, once, so that serving needs no PyTorch ({path}) …")
    else:
        say(f"The ONNX model {path} is damaged ({check.detail}): {what[0].lower()}{what[1:]} again …")
    fp32 = onnx_model_path(data_dir, False, source)
    if quantized:
        if not check_onnx_model(fp32, source).ok:
            _write_verified(fp32, source, _export_fp32)
        _write_verified(path, source, lambda target, _: _quantize(fp32, target))
    else:
        _write_verified(path, source, _export_fp32)
    say(f"ONNX model ready: {path} ({path.stat().st_size / 1e6:.0f} MB, {time.perf_counter() - started:.1f} s)")
    return check


def _write_verified(path: Path, source: Path, write: Callable[[Path, Path], None]) -> None:
    """Write an ONNX file with ``write(temporary, model folder)``, check it against PyTorch, and
    only then rename it into place and write its sidecar. Raises OnnxModelError when the check fails
    (nothing is left in place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sidecar(path).unlink(missing_ok=True)  # from here on, ``path`` is not served until the new sidecar exists
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp, source)
        quantized = path.name == INT8_FILE
        try:
            min_cosine = agreement(tmp, source)
        except OnnxModelError as exc:
            raise OnnxModelError(f"the new ONNX export {path} failed its check ({exc}); it was not kept") from exc
        if min_cosine < (MIN_COSINE_INT8 if quantized else MIN_COSINE):
            raise OnnxModelError(f"the ONNX export {path} does not reproduce the PyTorch model "
                                 f"(cosine {min_cosine:.6f} on the check texts); it was not kept")
        record = {"format": FORMAT, "file": path.name, "bytes": tmp.stat().st_size, "sha256": file_sha256(tmp),
                  "model_sha256": model_files_sha256(source), "opset": OPSET, "quantized": quantized,
                  "min_cosine_to_pytorch": round(float(min_cosine), 7),
                  "exported_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "versions": _versions()}
        _replace_durably(tmp, path)
        text_tmp = sidecar(tmp)
        text_tmp.write_text(json.dumps(record, indent=2), encoding="utf-8")
        _replace_durably(text_tmp, sidecar(path))
    finally:
        tmp.unlink(missing_ok=True)
        sidecar(tmp).unlink(missing_ok=True)


def _replace_durably(tmp: Path, final: Path) -> None:
    """fsync ``tmp``, rename it over ``final`` and fsync the folder, so a crash leaves one or the other."""
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    fd = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("torch", "sentence-transformers", "onnx", "onnxruntime", "tokenizers"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    return out


def agreement(path: Path, source: Path) -> float:
    """The smallest cosine between the ONNX model at ``path`` and the PyTorch model over
    PROBE_TEXTS, encoded one at a time and as one padded batch."""
    from indexer.embedding import _cached_minilm
    from indexer.onnx_embedder import OnnxEmbedder

    onnx = OnnxEmbedder(path, source, threads=0)
    reference = _cached_minilm().embed(list(PROBE_TEXTS))
    batch = onnx.embed(list(PROBE_TEXTS))
    single = np.concatenate([onnx.embed([text]) for text in PROBE_TEXTS])
    return float(min((batch * reference).sum(axis=1).min(), (single * reference).sum(axis=1).min()))


def _export_fp32(target: Path, source: Path) -> None:
    """torch.onnx.export of the sentence-transformers model (transformer, mean pooling, normalisation)."""
    import torch

    from indexer.embedding import _cached_minilm

    model = _cached_minilm().model

    class SentenceEmbedding(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            features = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
            return self.model(features)["sentence_embedding"]

    example = model.tokenizer(list(PROBE_TEXTS[:3]), padding=True, return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in INPUTS} | {OUTPUT: {0: "batch"}}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about Python branches (all shape-independent here)
        torch.onnx.export(SentenceEmbedding().eval(), tuple(example[name] for name in INPUTS), str(target),
                          input_names=list(INPUTS), output_names=[OUTPUT], dynamic_axes=axes,
                          opset_version=OPSET, dynamo=False)


def _quantize(fp32: Path, target: Path) -> None:
    """Dynamic int8 quantization of the weights (onnxruntime's quantizer); activations stay float.

    Per channel: with one scale per tensor the dev queries' vectors kept a mean cosine of 0.965 to
    the float model's (min 0.917); with one per output channel, 0.993 (min 0.976)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantizer's advice to pre-process the model, on the root logger
    try:
        quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.setLevel(level)
