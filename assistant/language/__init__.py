"""Language helpers shared by the pipeline and its checks: quantities, modality, sentences."""
