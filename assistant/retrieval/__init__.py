"""Step 4 of the pipeline: hybrid retrieval (dense + BM25, rank fusion, article lookup)."""
