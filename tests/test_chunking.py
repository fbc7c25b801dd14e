"""Cutting passages (indexer.chunking): an unbroken run of text is cut in time linear in its length, at
word boundaries, and a run of characters without a space is cut too (issue 22, D5)."""

from __future__ import annotations

from indexer.blocks import Block
from indexer.chunking import Chunker
from indexer.document import CleanDocument, PlacedBlock
from indexer.embedding import FakeEmbedder
from reportqa.records import DocumentMeta
from reportqa.settings import ChunkerConfig

META = DocumentMeta(doc_id="d", file="d.md", title="D", short_title="D")


def one_paragraph(text: str) -> CleanDocument:
    block = Block("paragraph", text, section=("1. Findings",))
    return CleanDocument(META, text, [PlacedBlock(block, 0, len(text))], paged=False)


class CountingTokens:
    """The fake embedder's token counter, adding up how many characters it was asked to tokenise."""

    def __init__(self) -> None:
        self.fake = FakeEmbedder(max_tokens=96)
        self.characters = 0

    def __call__(self, texts: list[str]) -> list[int]:
        self.characters += sum(map(len, texts))
        return self.fake.count_tokens(texts)


def chunk(text: str, counter=None, max_word_chars: int = 1000):
    counter = counter or CountingTokens()
    chunker = Chunker(ChunkerConfig(chunk_target_tokens=60), 96, counter, max_word_chars)
    return chunker.chunk(one_paragraph(text))


def test_an_unbroken_run_is_tokenised_a_bounded_number_of_times() -> None:
    """A table pasted as one 'sentence' (no full stop in 40,000 words): each word is tokenised a bounded
    number of times, not once per probe of a search over the rest of the run (which took 68 s for a
    367 KB table)."""
    text = " ".join(f"row{i} value {i} police" for i in range(10_000))
    counter = CountingTokens()
    passages = chunk(text, counter)
    assert counter.characters <= 6 * len(text)
    assert "".join(p.passage.text.replace(" ", "") for p in passages) == text.replace(" ", "")  # nothing lost
    assert max(counter.fake.count_tokens([p.embed_text for p in passages])) <= 96
    assert all(text[p.passage.start:p.passage.end] == p.passage.text for p in passages)


def test_a_long_sentence_is_cut_at_word_boundaries_into_full_pieces() -> None:
    words = [f"word{i}" for i in range(500)]
    passages = chunk(" ".join(words))
    assert all(set(p.passage.text.split()) <= set(words) for p in passages)  # no word cut in two
    sizes = [len(p.passage.text.split()) for p in passages]
    assert len(passages) >= 6 and min(sizes[:-1]) >= 40  # pieces filled up to the window, not split early


def test_a_one_megabyte_word_is_cut_into_pieces() -> None:
    """One 'word' of 1 MB is one token to a tokenizer (too long to split into word pieces), so only its
    length in characters can cut it; it was one 1 MB passage."""
    word = "a" * 1_000_000
    passages = chunk(f"Long word report. {word} Police disruption is discussed.")
    pieces = [p.passage.text for p in passages if "a" * 50 in p.passage.text]
    assert max(len(p.passage.text) for p in passages) <= 1000 + len("Long word report. ")
    assert sum(piece.count("a") for piece in pieces) >= len(word)
    assert any("Police disruption is discussed." in p.passage.text for p in passages)


def test_a_word_over_the_window_is_cut_until_it_fits() -> None:
    dotted = ".".join("1" for _ in range(400))  # 799 characters, 799 tokens to the fake counter
    passages = chunk(f"Intro text here. {dotted} End.")
    assert max(FakeEmbedder(max_tokens=96).count_tokens([p.embed_text for p in passages])) <= 96
    assert "".join(p.passage.text for p in passages if "1.1" in p.passage.text).count("1") == 400


def test_a_long_last_sentence_is_never_dropped() -> None:
    """A section ending in a sentence too long to take the previous passage's last sentence along: it used
    to be dropped (the end of packing assumed the overlap had been carried)."""
    first = "Alpha " + " ".join(f"a{i}" for i in range(98)) + "."  # 100 tokens to the fake counter
    second = "Beta " + " ".join(f"b{i}" for i in range(38)) + "."  # 40: short enough to be carried over
    last = "Gamma " + " ".join(f"c{i}" for i in range(228)) + "."  # 230: with that overlap, over the window
    chunker = Chunker(ChunkerConfig(chunk_target_tokens=150), 256, FakeEmbedder().count_tokens, 1000)
    passages = chunker.chunk(one_paragraph(f"{first} {second} {last}"))
    assert [p.passage.text for p in passages] == [f"{first} {second}", last]


def test_a_repeated_paragraph_gets_salted_ids_at_no_extra_cost(monkeypatch) -> None:
    """The same text again takes the next salt; finding it scanned every salt from 0 (for 14,000 copies of
    one paragraph in a 5 MB file, 100 million hashes and seven minutes)."""
    import hashlib

    from indexer import chunking

    calls = []
    real_sha1 = hashlib.sha1

    def counting_sha1(data: bytes):
        calls.append(data)
        return real_sha1(data)

    monkeypatch.setattr(chunking.hashlib, "sha1", counting_sha1)
    ids = chunking.PassageIds()
    made = [ids.new("d", "text", "Same paragraph.") for _ in range(300)]
    assert len(calls) == 300 and len(set(made)) == 300
    keys = ["d\x1ftext\x1fSame paragraph." + salt for salt in ("", "\x1f1", "\x1f2")]
    expected = ["d-" + real_sha1(key.encode()).hexdigest()[:10] for key in keys]
    assert made[:3] == expected
    assert ids.new("d", "text", "Other paragraph.") not in made
