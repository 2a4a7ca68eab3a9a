"""Minimal Gradio chat over the Assistant (the full web UI is tracked separately)."""

from __future__ import annotations

import gradio as gr

from assistant.answering.guard import InvalidQuestion
from assistant.interfaces import get_assistant


def respond(message: str, history: list[dict]) -> str:
    turns, q = [], None
    for m in history:
        if m.get("role") == "user":
            q = str(m.get("content"))
        elif m.get("role") == "assistant" and q is not None:
            turns.append((q, str(m.get("content"))))
            q = None
    try:
        answer = get_assistant().ask(message, history=turns)
    except InvalidQuestion as exc:
        return f"⚠️ {exc}"
    return answer.format()


def build() -> gr.Blocks:
    return gr.ChatInterface(
        respond,
        title="Convention Assistant",
        description="Cited answers on the UN Convention against Cybercrime (A/RES/79/243).",
        examples=[
            "Can police make a provider hand over subscriber data?",
            "When does the Convention enter into force?",
            "What does Article 14 say?",
        ],
    )


def launch(host: str = "127.0.0.1", port: int = 7860) -> None:
    get_assistant().ensure_ready()
    build().launch(server_name=host, server_port=port, share=False)
