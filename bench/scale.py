"""How search latency and memory grow with corpus size: 1×, 10× and 100× the real passages, for each
embedder (PyTorch 'minilm' and ONNX 'onnx' by default).

Embedding 60k passages on two cores would take far too long, so the larger indexes are synthetic
(bench/synthetic.py): every real passage plus recombinations of real sentences whose vectors are noisy
mixes of real vectors. They are written with indexer.store.write_index (flat FAISS below the HNSW
threshold, plus an HNSW variant at the largest size) under --work and reused while the real index and
seed are unchanged. Each index is measured in its own subprocess so that its RSS is its own: search
p50/p95 over the real queries (query-vector cache cleared before each), RSS, size on disk, and at the
largest size the recall@10 of HNSW against exact search at several efSearch values.

    python -m bench.scale [--index /tmp/bench-index] [--work /tmp/bench-scale] [--sizes 1 10 100] [--regenerate]
                          [--embedders minilm onnx] [--queries N] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from bench.common import (
    PROJECT_ROOT,
    BenchRun,
    add_bench_args,
    bench_run,
    bench_settings,
    label,
    load_queries,
    md_table,
    ms,
    peak_rss_mb,
    rss_mb,
    section_stamp,
    summarize,
    verdict,
)

DEFAULT_WORK = Path("/tmp/bench-scale")
TARGET_PASSAGES = 50_000
TARGET_P95_MS = 60.0
EF_SEARCH = (32, 64, 96, 128)
SEED = 20261122
SYNTHETIC_NOTE = ("**Synthetic vectors stand in for real embeddings** above 1×: the extra passages are shuffled "
                  "recombinations of real sentences, their vectors normalised mixes of real passage vectors plus "
                  "small noise (bench/synthetic.py). Timings and memory are representative; retrieval quality and "
                  "HNSW recall on real embeddings may differ.")


@dataclass
class Variant:
    """One index to measure."""

    name: str
    multiplier: int
    kind: str
    path: Path
    synthetic: bool = True
    generate_s: float | None = None
    write_s: float | None = None
    measured: dict[str, dict] = field(default_factory=dict)  # by embedder


# --- preparing the indexes ---------------------------------------------------------------------------
def plan(index_dir: Path, work: Path, sizes: list[int], real_passages: int, threshold: int) -> list[Variant]:
    """The variants: the real index at 1×, the default FAISS kind per size, and HNSW at the largest size."""
    out = []
    for m in sorted(set(sizes)):
        if m == 1:
            out.append(Variant("1x", 1, "flat" if real_passages < threshold else "hnsw", index_dir, synthetic=False))
            continue
        kind = "hnsw" if m * real_passages >= threshold else "flat"
        out.append(Variant(f"{m}x-{kind}", m, kind, work / f"{m}x-{kind}"))
        if m == max(sizes) and kind != "hnsw":
            out.append(Variant(f"{m}x-hnsw", m, "hnsw", work / f"{m}x-hnsw"))
    return out


def _key(variant: Variant, reader, seed: int) -> dict:
    return {"source_build": reader.manifest.build_id, "seed": seed, "multiplier": variant.multiplier,
            "kind": variant.kind, "generator": 1}


def prepare(variant: Variant, reader, seed: int, regenerate: bool) -> None:
    """Write the synthetic index for ``variant`` unless an identical one is already there."""
    from bench.synthetic import build_bundle
    from indexer.store import current_manifest, write_index

    sidecar = variant.path.with_suffix(".json")
    key = _key(variant, reader, seed)
    if not regenerate and sidecar.exists() and current_manifest(variant.path) is not None:
        saved = json.loads(sidecar.read_text(encoding="utf-8"))
        if saved.get("key") == key:
            variant.generate_s, variant.write_s = saved["generate_s"], saved["write_s"]
            print(f"{variant.name}: reusing {variant.path}", flush=True)
            return
    shutil.rmtree(variant.path, ignore_errors=True)
    settings = bench_settings(variant.path)
    started = time.perf_counter()
    bundle = build_bundle(reader, variant.multiplier * len(reader.passages), seed, variant.kind,
                          settings.hnsw_m, settings.hnsw_ef_construction)
    variant.generate_s = time.perf_counter() - started
    started = time.perf_counter()
    write_index(variant.path, bundle)
    variant.write_s = time.perf_counter() - started
    sidecar.write_text(json.dumps({"key": key, "generate_s": variant.generate_s, "write_s": variant.write_s}),
                       encoding="utf-8")
    print(f"{variant.name}: {len(bundle.passages)} passages generated in {variant.generate_s:.1f} s, "
          f"written in {variant.write_s:.1f} s", flush=True)


def disk_mb(index_dir: Path) -> float:
    """Size of the live build's files, in MB."""
    from indexer.store import live_build

    build = live_build(index_dir)
    return sum(f.stat().st_size for f in build.iterdir() if f.is_file()) / 1e6 if build else 0.0


# --- measuring (in a subprocess) ------------------------------------------------------------------------
def measure_index(index_dir: Path, recall: bool, limit: int | None) -> dict:
    """Open a Retriever on ``index_dir`` (the embedder and corpus from the environment, as
    ``BenchRun.env`` sets them) and time search over the real queries (the first ``limit``);
    optionally HNSW recall."""
    from indexer.embedding import create_embedder
    from reportqa.settings import Settings
    from retriever.retriever import Retriever

    queries = load_queries()[:limit]
    settings = Settings(index_dir=index_dir)
    out: dict = {"rss_start": rss_mb()}
    embedder = create_embedder(settings.embedder, settings)
    embedder.embed(["load the model"])
    out["rss_model"] = rss_mb()
    started = time.perf_counter()
    retriever = Retriever.open(settings, embedder=embedder, check_corpus=False)
    dense_searcher = retriever.generator.dense
    out.update(open_s=time.perf_counter() - started, rss_open=rss_mb(), passages=len(retriever.reader.passages),
               faiss=type(dense_searcher.index).__name__)
    retriever.warm_up()
    search, dense = [], []
    for query in queries:
        retriever.clear_cache()
        started = time.perf_counter()
        retriever.search(query, k=10)
        search.append(time.perf_counter() - started)
    vectors = np.stack([retriever.encode(q) for q in queries])
    for vector in vectors:
        started = time.perf_counter()
        dense_searcher.search(vector, retriever.settings.dense_candidates)
        dense.append(time.perf_counter() - started)
    out.update(search=summarize(search), dense=summarize(dense), rss_after=rss_mb(), peak=peak_rss_mb())
    if recall and hasattr(dense_searcher.index, "hnsw"):
        out["recall"] = hnsw_recall(dense_searcher.index, vectors)
    return out


def hnsw_recall(index, vectors: np.ndarray, k: int = 10) -> list[dict]:
    """Recall@k of the HNSW index against exact inner-product search over the same vectors."""
    import faiss

    exact = faiss.IndexFlatIP(index.d)
    exact.add(index.reconstruct_n(0, index.ntotal))
    queries = np.ascontiguousarray(vectors, dtype=np.float32)
    started = time.perf_counter()
    truth = [exact.search(q.reshape(1, -1), k)[1][0] for q in queries]
    rows = [{"ef": "exact (flat)", "recall": 1.0, "ms_per_query": ms(time.perf_counter() - started) / len(queries)}]
    original = index.hnsw.efSearch
    for ef in EF_SEARCH:
        index.hnsw.efSearch = ef
        started = time.perf_counter()
        found = [index.search(q.reshape(1, -1), k)[1][0] for q in queries]
        elapsed = time.perf_counter() - started
        hits = [len(set(f.tolist()) & set(t.tolist())) / k for f, t in zip(found, truth)]
        rows.append({"ef": ef, "recall": float(np.mean(hits)), "ms_per_query": ms(elapsed) / len(queries)})
    index.hnsw.efSearch = original
    return rows


def measure(variant: Variant, run: BenchRun, embedder: str, recall: bool) -> None:
    """Run the measurement for ``variant`` with ``embedder`` in a fresh Python process and keep its figures."""
    cmd = [sys.executable, "-m", "bench.scale", "--measure", str(variant.path), "--limit", str(len(run.queries))]
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")} | run.env(embedder)
    done = subprocess.run(cmd + (["--recall"] if recall else []), cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=1800, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"measuring {variant.name} with {embedder} failed:\n{done.stderr[-2000:]}")
    measured = variant.measured[embedder] = json.loads(done.stdout.strip().splitlines()[-1])
    measured["disk_mb"] = disk_mb(variant.path)
    s = measured["search"]
    print(f"{variant.name} ({embedder}): {measured['passages']} passages, search p50 {ms(s['p50']):.1f} ms, "
          f"p95 {ms(s['p95']):.1f} ms, RSS {measured['rss_after']:.0f} MB", flush=True)


# --- report ------------------------------------------------------------------------------------------------
def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _row(v: Variant, embedder: str) -> list[object]:
    m = v.measured[embedder]
    return [v.name, label(embedder), f"{m['passages']:,}", v.kind, _seconds(v.generate_s), _seconds(v.write_s),
            f"{m['disk_mb']:.0f}",
            f"{m['open_s']:.1f}", f"{ms(m['search']['p50']):.1f}", f"{ms(m['search']['p95']):.1f}",
            f"{ms(m['dense']['p50']):.2f}", f"{ms(m['dense']['p95']):.2f}", f"{m['rss_after']:.0f}",
            f"{m['rss_after'] - m['rss_model']:.0f}", f"{m['peak']:.0f}"]


def report(variants: list[Variant]) -> str:
    """The Markdown section (also printed)."""
    headers = ["index", "embedder", "passages", "FAISS", "generate s", "write s", "disk MB", "open s", "search p50 ms",
               "search p95 ms", "dense p50 ms", "dense p95 ms", "RSS MB", "RSS above model MB", "peak RSS MB"]
    lines = [section_stamp(), "", SYNTHETIC_NOTE, "",
             "`Retriever.search(q, k=10)` over the real queries, query-vector cache cleared before each (so each "
             "includes encoding the query); 'dense' is the FAISS search alone (50 candidates). One fresh process "
             "per index; RSS after the queries, 'above model' subtracts the RSS once the model was loaded. "
             "1× is the real index (no generate/write time; see Index build).", "",
             md_table(headers, [_row(v, e) for v in variants for e in v.measured]), ""]
    for v in variants:
        for e, m in v.measured.items():
            if m["passages"] >= TARGET_PASSAGES:
                p95 = ms(m["search"]["p95"])
                lines.append(f"- {v.name} ({label(e)}): search p95 **{p95:.1f} ms** at {m['passages']:,} passages "
                             f"(target ≤ {TARGET_P95_MS:.0f} ms at {TARGET_PASSAGES:,}: "
                             f"{verdict(p95 <= TARGET_P95_MS)})")
    for v in variants:
        recall = next((m["recall"] for m in v.measured.values() if m.get("recall")), None)
        if recall:
            lines += ["", f"HNSW ({v.name}, M=32, efConstruction=80) against exact flat search, the real query "
                      "vectors, top 10 (the app's default efSearch is 96; time is single-query search):", "",
                      md_table(["efSearch", "recall@10", "ms/query"],
                               [[r["ef"], f"{r['recall']:.3f}", f"{r['ms_per_query']:.2f}"]
                                for r in recall])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_bench_args(parser)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help=f"synthetic indexes (default {DEFAULT_WORK})")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100], help="multiples of the real passages")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--regenerate", action="store_true", help="rewrite the synthetic indexes")
    parser.add_argument("--queries", type=int, help="time only the first N queries (default: all)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--recall", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure_index(args.measure, args.recall, args.limit)))
        return 0
    from indexer.store import open_index

    run = bench_run(args)
    run = replace(run, queries=run.queries[:args.queries])
    work = run.index_dir.parent / "scale" if run.smoke else args.work
    sizes = [1, 2] if run.smoke else args.sizes
    work.mkdir(parents=True, exist_ok=True)
    reader = open_index(run.index_dir)
    threshold = bench_settings(run.index_dir).hnsw_threshold
    variants = plan(run.index_dir, work, sizes, len(reader.passages), threshold)
    for variant in variants:
        if variant.synthetic:
            prepare(variant, reader, args.seed, args.regenerate)
    del reader
    for variant in variants:
        for embedder in run.embedders:
            measure(variant, run, embedder, recall=variant.kind == "hnsw" and embedder == run.embedders[-1])
    run.write("Scale", report(variants))
    (work / "last-run.json").write_text(json.dumps([asdict(v) for v in variants], default=str, indent=1),
                                        encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
