"""Benchmark scenarios, one module per feature; importing a module registers its scenarios."""
