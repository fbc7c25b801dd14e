"""all-MiniLM-L6-v2 on ONNX Runtime with the `tokenizers` fast tokenizer: the same vectors as the
PyTorch model (cosine ≥ 0.9999) at a fraction of its load time, encoding time and memory, and
without importing torch, transformers or sentence-transformers.

Tokenization follows sentence-transformers: the packaged model's tokenizer.json, inputs cut at
the model's max_seq_length (word pieces, [CLS] and [SEP] included), padded to the longest text of
a batch; mean pooling over the attention mask and L2 normalisation are inside the exported graph
(indexer.onnx_export).
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from indexer.embedding import MINILM_NAME, minilm_model_dir
from indexer.onnx_export import OnnxModelError, check_onnx_model, onnx_model_path


@lru_cache(maxsize=4)
def open_onnx_embedder(data_dir: Path, quantized: bool = False, threads: int = 1) -> OnnxEmbedder:
    """The ONNX embedder over the export in ``data_dir`` (loaded once per process). Raises
    OnnxModelError, with the command to run, when the export is missing or damaged: serving never
    exports (that needs PyTorch)."""
    source = minilm_model_dir()
    path = onnx_model_path(data_dir, quantized, source)
    check = check_onnx_model(path, source)
    if not check.ok:
        raise OnnxModelError(f"the ONNX model is {check.state}: {check.detail}; run `reportqa index` to export it")
    return OnnxEmbedder(path, source, threads)


class OnnxEmbedder:
    """Turns texts into the model's normalised vectors with an onnxruntime session.

    ``threads`` is the session's intra-op thread count (0: onnxruntime's default, one per core).
    Its threads do not spin while waiting: the CPU is shared with the web server's own threads.
    Thread-safe: onnxruntime sessions and tokenizers may be called from several threads at once.
    """

    name = MINILM_NAME

    def __init__(self, model_path: Path, source: Path, threads: int = 1) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        config = json.loads((source / "sentence_bert_config.json").read_text(encoding="utf-8"))
        self.max_seq_length = int(config["max_seq_length"])
        self.max_tokens = self.max_seq_length - 2  # [CLS] and [SEP]
        self._counter = Tokenizer.from_file(str(source / "tokenizer.json"))
        self._counter.no_truncation()
        self._counter.no_padding()
        self._tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=self.max_seq_length)
        pad = self._tokenizer.padding or {}
        self._tokenizer.enable_padding(pad_id=pad.get("pad_id", 0), pad_token=pad.get("pad_token", "[PAD]"))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = onnxruntime.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime's errors derive from Exception only (InvalidProtobuf, Fail …)
            raise OnnxModelError(f"onnxruntime cannot load {model_path} ({type(exc).__name__}: {exc})") from exc
        self._inputs = [i.name for i in self.session.get_inputs()]
        self.dim = int(self.session.get_outputs()[0].shape[-1])
        self.path = model_path

    def count_tokens(self, texts: list[str]) -> list[int]:
        if not texts:
            return []
        return [len(e.ids) for e in self._counter.encode_batch(texts, add_special_tokens=False)]

    def embed(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        """Vectors for ``texts``, in their order; batches of similar length, longest first, as
        sentence-transformers does, so that little padding is computed."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        starts = range(0, len(texts), batch_size)
        if progress:
            from tqdm import tqdm

            starts = tqdm(starts, desc="Embedding", unit="batch")
        for start in starts:
            rows = order[start:start + batch_size]
            out[rows] = self._run([texts[i] for i in rows])
        return out

    def _run(self, texts: list[str]) -> np.ndarray:
        encoded = self._tokenizer.encode_batch(texts)
        arrays = {"input_ids": [e.ids for e in encoded], "attention_mask": [e.attention_mask for e in encoded],
                  "token_type_ids": [e.type_ids for e in encoded]}
        feed = {name: np.asarray(arrays[name], dtype=np.int64) for name in self._inputs}
        return self.session.run(None, feed)[0]
