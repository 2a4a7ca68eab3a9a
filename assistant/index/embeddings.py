"""Our sentence-transformers embeddings (never Chroma's default, which downloads a model)."""

from __future__ import annotations

from langchain_huggingface import HuggingFaceEmbeddings

from assistant.settings import Settings


def make_embeddings(settings: Settings) -> HuggingFaceEmbeddings:
    """The configured model (packaged all-MiniLM-L6-v2 by default), on CPU, unit-normalised."""
    return HuggingFaceEmbeddings(
        model_name=settings.embedding_model_path,
        model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={"normalize_embeddings": True, "batch_size": 32},
    )
