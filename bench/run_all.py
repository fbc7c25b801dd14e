"""Run every benchmark in sequence, each as `python -m bench.<name>`, and say how long each took.

    python -m bench.run_all [--index /tmp/bench-index] [--only latency scale] [--embedders minilm onnx] [--smoke]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from bench.common import PROJECT_ROOT, RESULTS_PATH, add_bench_args

BENCHMARKS = ("latency", "throughput", "index_build", "scale")


def run(name: str, options: list[str]) -> tuple[int, float]:
    """Run one benchmark module; its output goes straight to this terminal."""
    print(f"\n=== bench.{name} ===", flush=True)
    started = time.perf_counter()
    code = subprocess.run([sys.executable, "-m", f"bench.{name}", *options], cwd=PROJECT_ROOT).returncode
    return code, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_bench_args(parser)
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, help="run only these benchmarks")
    args = parser.parse_args(argv)
    options = ["--index", str(args.index), "--embedders", *args.embedders] + (["--smoke"] if args.smoke else [])
    outcomes = [(name, *run(name, options)) for name in (args.only or BENCHMARKS)]
    print("\n=== summary ===")
    for name, code, seconds in outcomes:
        print(f"bench.{name:<12} {'ok' if code == 0 else f'FAILED ({code})':<12} {seconds / 60:5.1f} min")
    print("smoke run: RESULTS.md not written" if args.smoke else f"results: {RESULTS_PATH}")
    return max((code for _, code, _ in outcomes), default=0)


if __name__ == "__main__":
    raise SystemExit(main())
