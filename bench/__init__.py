"""Benchmarks: each prints a table, writes JSON to bench/results/ and reports ratios to a baseline
measured in the same run (2-core machines are noisy; ratios travel, absolute seconds do not)."""
