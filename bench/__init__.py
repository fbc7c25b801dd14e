"""Benchmarks for ReportQA: latency, throughput, index build and scale. Results go to bench/RESULTS.md."""
