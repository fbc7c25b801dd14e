"""One battery over every registered embedder (indexer.embedding.EMBEDDERS), as txtai tests its
backends: a new embedder is tested by registering it. Real models carry the ``model`` mark."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.embedding import EMBEDDERS, Embedder, EmbedderError, create_embedder, embedder_spec
from reportqa.settings import EMBEDDERS as SETTING_NAMES

NOTICE = "A child abduction warning notice is served to break contact between an adult and a child."
SAME_TOPIC = "Police serve warning notices so that an adult stops contacting a child."
OTHER_TOPIC = "The weather in the hills was wet and windy for most of the autumn."


@pytest.fixture(scope="module", params=[pytest.param(name, marks=[] if name == "fake" else [pytest.mark.model])
                                        for name in sorted(EMBEDDERS)])
def embedder(request) -> Embedder:
    return create_embedder(request.param)


def test_every_embedder_can_be_chosen_in_the_settings() -> None:
    assert set(SETTING_NAMES) == set(EMBEDDERS)
    with pytest.raises(EmbedderError, match="unknown embedder 'bert'"):
        embedder_spec("bert")


def test_an_embedder_is_what_its_spec_says(embedder: Embedder) -> None:
    """The spec is what an index records without loading the model: it must be the model's truth."""
    spec = next(s for s in EMBEDDERS.values() if s.model_name == embedder.name)
    assert (embedder.dim, embedder.max_tokens) == (spec.dim, spec.max_tokens)


def test_vectors_are_unit_length_float32_one_per_text(embedder: Embedder) -> None:
    vectors = embedder.embed([NOTICE, SAME_TOPIC, OTHER_TOPIC, "x"])
    assert vectors.shape == (4, embedder.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert embedder.embed([]).shape == (0, embedder.dim)


def test_a_text_gets_the_same_vector_alone_or_in_a_batch(embedder: Embedder) -> None:
    alone = embedder.embed([SAME_TOPIC])[0]
    batched = embedder.embed([NOTICE, SAME_TOPIC, OTHER_TOPIC], batch_size=2)[1]
    assert np.allclose(alone, batched, atol=1e-5)


def test_related_texts_are_closer_than_unrelated_ones(embedder: Embedder) -> None:
    notice, same, other = embedder.embed([NOTICE, SAME_TOPIC, OTHER_TOPIC])
    assert float(notice @ same) > float(notice @ other)


def test_tokens_are_counted_the_model_s_way(embedder: Embedder) -> None:
    short, long, empty = embedder.count_tokens(["warning notices", NOTICE, ""])
    assert 0 == empty < short < long <= embedder.max_tokens
    assert embedder.count_tokens([]) == []
    assert embedder.count_tokens([NOTICE * 40])[0] > embedder.max_tokens  # never truncated while counting
