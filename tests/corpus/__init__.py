"""Test corpora (compile: tests/corpus/compile)."""
