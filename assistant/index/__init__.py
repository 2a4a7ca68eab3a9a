"""Step 3 of the pipeline: the dense (Chroma) and lexical (BM25) indexes and their ingestion."""
