"""The ONNX embedder (indexer.onnx_embedder) is the PyTorch model: the same vectors, token counts,
spec and fingerprint, so an index built with one is served by the other; and serving with it
never imports PyTorch."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from indexer.embedding import EMBEDDERS, create_embedder
from indexer.onnx_export import PROBE_TEXTS
from indexer.spec import build_spec
from indexer.store import open_index
from reportqa.settings import PROJECT_ROOT, Settings
from retriever.weights import fingerprint

pytestmark = pytest.mark.model

TEXTS = [
    "What is a child abduction warning notice?",
    "CAWN",
    "how many officers had training on sexual risk orders in the last 2 years",
    "Disruption tactics: arrest, CAWNs, SROs and SHPOs — which work best?",
    "Ünïcödé, emoji 🙂 and a URL https://example.org/report?id=42",
    "",
    "   ",
    " ".join(["Frontline officers described using every available civil and criminal power to disrupt "
              "offenders, from licensing checks to abduction notices."] * 30),  # over the 254-token limit
]


@pytest.fixture(scope="module")
def both(real_settings):
    """The ONNX and the PyTorch embedder (the export is made by the session's real-model index)."""
    return create_embedder("onnx", real_settings), create_embedder("minilm", real_settings)


def test_onnx_and_pytorch_vectors_agree(both) -> None:
    onnx, torch = both
    assert max(onnx.count_tokens(TEXTS)) > onnx.max_tokens  # the long text is cut, the same way by both
    for vectors in (onnx.embed(TEXTS), np.concatenate([onnx.embed([t]) for t in TEXTS]),
                    onnx.embed(TEXTS, batch_size=3)):
        reference = torch.embed(TEXTS)
        assert vectors.shape == reference.shape == (len(TEXTS), 384) and vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        assert (vectors * reference).sum(axis=1).min() >= 0.9999


def test_onnx_counts_tokens_and_cuts_text_as_pytorch_does(both) -> None:
    onnx, torch = both
    texts = TEXTS + list(PROBE_TEXTS)
    assert onnx.count_tokens(texts) == torch.count_tokens(texts)
    assert (onnx.name, onnx.dim, onnx.max_tokens) == (torch.name, torch.dim, torch.max_tokens)
    # past the limit nothing more is read: appending to the long text leaves its vector as it was
    long_text = TEXTS[-1]
    assert (onnx.embed([long_text]) @ onnx.embed([long_text + " entirely different words"]).T)[0, 0] > 0.99999


def test_an_index_built_with_one_embedder_is_served_by_the_other(real_settings) -> None:
    onnx, minilm = (real_settings.model_copy(update={"embedder": name}) for name in ("onnx", "minilm"))
    assert build_spec(onnx) == build_spec(minilm)
    assert fingerprint(onnx) == fingerprint(minilm)  # weights fitted under one are used by the other
    assert EMBEDDERS["onnx"].model_name == EMBEDDERS["minilm"].model_name
    assert open_index(real_settings.index_dir, build_spec(minilm)).manifest.model.name == "all-MiniLM-L6-v2"


def test_an_index_embeds_at_full_precision_and_with_every_core(real_settings) -> None:
    quantized = real_settings.model_copy(update={"onnx_quantize": True, "onnx_threads": 1})
    embedder = create_embedder("onnx", quantized, for_index=True)
    assert embedder.path.name == "model.onnx" and embedder.session.get_session_options().intra_op_num_threads == 0


SERVE = """
import sys
from fastapi.testclient import TestClient
from reportqa.settings import Settings
from web.app import create_app

with TestClient(create_app(Settings())) as client:
    search = client.get("/api/search", params={"q": "child abduction warning notice"})
    ask = client.get("/api/ask", params={"q": "what is a child abduction warning notice?"})
assert search.status_code == 200 and search.json()["results"], search.text
reply = ask.json()  # answered, or under closest its lead: something from the reports is read first
assert ask.status_code == 200 and reply["outcome"] != "not_covered" and (reply["sentences"] or reply["lead"]), ask.text
print(sorted(name for name in ("torch", "transformers", "sentence_transformers") if name in sys.modules))
"""


def test_serving_does_not_import_pytorch(real_settings: Settings) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env.update(REPORTQA_INDEX_DIR=str(real_settings.index_dir), REPORTQA_CORPUS_DIR=str(real_settings.corpus_dir),
               REPORTQA_DATA_DIR=str(real_settings.data_dir), REPORTQA_ALLOWED_HOSTS=json.dumps(["testserver"]))
    done = subprocess.run([sys.executable, "-c", SERVE], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
