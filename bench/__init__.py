"""Benchmarks for `make bench`: one `name: value unit` line per figure."""
