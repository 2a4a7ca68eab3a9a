"""The naive RAG baseline run side by side with our pipeline: LangChain's
RecursiveCharacterTextSplitter (1000/200) over the raw document text, dense-only Chroma top-k
with the same embedding model; its "answer" is the top chunk (it has no citations and never
abstains). Chunks map to our article/provision units by the provisions whose text they contain.
"""

from __future__ import annotations

import re
import time

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.core import Assistant
from assistant.documents.fetch import read_document_text
from assistant.documents.loader import locate
from assistant.documents.sources import load_manifest
from assistant.labels import unit_of
from assistant.models import Answer, Passage


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())


class NaiveRAG:
    name = "naive-rag"

    def __init__(self, bot: Assistant, k: int = 5):
        bot.ensure_ready()
        self.k = k
        settings = bot.settings
        raw = []
        for source in load_manifest(settings.manifest_path):
            path = locate(source, settings, download_missing=False, progress=False)
            if path is not None:
                raw.append(read_document_text(path))
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        self.chunks = splitter.split_text("\n\n".join(raw))
        client = chromadb.EphemeralClient(ChromaSettings(anonymized_telemetry=False))
        self.store = Chroma(
            collection_name="naive-baseline",
            embedding_function=bot.embeddings,
            client=client,
            collection_configuration={"hnsw": {"space": "cosine"}},
        )
        ids = [str(i) for i in range(len(self.chunks))]
        self.store.add_texts(self.chunks, ids=ids)
        self.units = [self._units(c, bot) for c in self.chunks]

    @staticmethod
    def _units(chunk: str, bot: Assistant) -> list[Passage]:
        """Our passages whose opening or closing words this raw chunk contains."""
        text = _norm(chunk)
        hits = []
        for c in bot.catalog.chunks:
            words = _norm(c.text).split()
            head, tail = " ".join(words[:8]), " ".join(words[-8:])
            if len(words) >= 4 and (head in text or tail in text):
                hits.append(bot.retriever._passage(c, 0.0, {}))
        return hits

    def run(self, question: str) -> tuple[Answer, list[Passage], float]:
        t0 = time.perf_counter()
        docs = self.store.similarity_search(question, k=self.k)
        latency = time.perf_counter() - t0
        retrieved: list[Passage] = []
        seen = set()
        for d in docs:
            for p in self.units[int(d.id)]:
                if unit_of(p.label) not in seen:
                    seen.add(unit_of(p.label))
                    retrieved.append(p)
        text = docs[0].page_content if docs else ""
        answer = Answer(question=question, text=text, citations=[], passages=[], abstained=False)
        return answer, retrieved, latency
