"""Pieces of the report runner: the warm-kernel papermill engine, cache keys and provenance, HTML export."""
