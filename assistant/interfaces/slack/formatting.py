"""Answers and articles as Slack Block Kit messages (mrkdwn), split within Slack's limits.

Limits respected (https://docs.slack.dev/reference/block-kit/blocks):
a section's text at most 3,000 characters, a message at most 50 blocks; we also keep each
message under ``MESSAGE_BUDGET`` characters so very long answers arrive as several readable
messages in the thread rather than one wall of text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.core import ArticleView
from assistant.labels import BRACKETED
from assistant.models import Answer

SECTION_LIMIT = 3000
MAX_BLOCKS = 50
MESSAGE_BUDGET = 12_000
FALLBACK_LIMIT = 2000
QUOTE_LIMIT = 1500
FIRST_ARTICLE, LAST_ARTICLE = 1, 68

ACTION_HELPFUL = "feedback_helpful"
ACTION_NOT_HELPFUL = "feedback_not_helpful"

USAGE = (
    "*Convention Assistant* — cited answers on the UN Convention against Cybercrime.\n"
    "• `/convention 27` shows Article 27 (articles 1-68)\n"
    "• `/convention <question>` answers with citations, e.g. "
    "`/convention Can the police force a company to hand over subscriber information?`\n"
    "• Mention me in a channel or send me a direct message; ask follow-ups in the same thread."
)


@dataclass
class SlackMessage:
    text: str  # notification / fallback text (plain mrkdwn, short)
    blocks: list[dict] = field(default_factory=list)


# --- text ------------------------------------------------------------------------------------

_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_HEADING = re.compile(r"^#{1,6}\s+(.+)$", re.M)


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn reserves."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_mrkdwn(text: str, labels: set[str] | frozenset[str] = frozenset()) -> str:
    """Markdown-ish answer text to Slack mrkdwn; citation labels in ``labels`` are set in bold
    and end their line, so each cited sentence reads on its own."""
    out = escape(text)
    out = _LINK.sub(lambda m: f"<{m[2]}|{m[1]}>", out)
    out = _BOLD.sub(r"*\1*", out)
    out = _HEADING.sub(r"*\1*", out)
    if labels:

        def style(m: re.Match) -> str:
            parts = [p.strip() for p in m.group(1).split(";")]
            return f"*[{m.group(1)}]*\n" if all(p in labels for p in parts) else m.group(0)

        out = BRACKETED.sub(style, out)
        out = re.sub(r"\]\*\n[ \t]+", "]*\n", out).rstrip()
    return out


_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|apos|#\d{1,7}|#x[0-9a-fA-F]{1,6});")
_TOKEN_LIMIT = 400  # a Slack token (<url|text>, <@U123>) longer than this may be cut


def safe_end(text: str, end: int) -> int:
    """``end``, moved back so that ``text[:end]`` never ends inside an HTML entity
    (``&amp;``) or a Slack token (``<https://…|link>``, ``<@U123>``)."""
    if end >= len(text):
        return len(text)
    amp = text.rfind("&", max(0, end - 10), end)
    if amp >= 0 and (m := _ENTITY.match(text, amp)) and m.end() > end:
        end = amp
    lt = text.rfind("<", max(0, end - _TOKEN_LIMIT), end)
    if lt >= 0 and text.rfind(">", lt, end) < 0 and 0 <= text.find(">", end) - lt < _TOKEN_LIMIT:
        end = lt
    return end


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Split at paragraph, line, sentence, then word boundaries into pieces of <= limit chars,
    never inside an HTML entity or a Slack token."""
    pieces: list[str] = []
    text = text.strip()
    while len(text) > limit:
        end = limit
        for sep in ("\n\n", "\n", ". ", " "):
            cut = text.rfind(sep, 0, limit)
            if cut > limit // 4:
                end = cut + (1 if sep == ". " else 0)
                break
        end = safe_end(text, end) or limit
        pieces.append(text[:end].strip())
        text = text[end:].strip()
    if text:
        pieces.append(text)
    return pieces


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, "…" marking a cut (never inside an entity or a token)."""
    if len(text) <= limit:
        return text
    return text[: safe_end(text, limit - 1) or limit - 1].rstrip() + "…"


def quote(text: str) -> str:
    return "\n".join("&gt; " + line if line else "&gt;" for line in text.splitlines())


# --- blocks ----------------------------------------------------------------------------------


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_LIMIT)}}


def context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text, 2000)}]}


def feedback_actions(answer_id: str) -> dict:
    return {
        "type": "actions",
        "block_id": f"feedback:{answer_id}",
        "elements": [
            {
                "type": "button",
                "action_id": ACTION_HELPFUL,
                "text": {"type": "plain_text", "text": "👍 Helpful", "emoji": True},
                "value": answer_id,
            },
            {
                "type": "button",
                "action_id": ACTION_NOT_HELPFUL,
                "text": {"type": "plain_text", "text": "👎 Not helpful", "emoji": True},
                "value": answer_id,
            },
        ],
    }


def _size(block: dict) -> int:
    if "text" in block:
        return len(block["text"].get("text", ""))
    return sum(len(e.get("text", "")) for e in block.get("elements", []) if isinstance(e, dict))


def pack(blocks: list[dict], fallback: str) -> list[SlackMessage]:
    """Pack blocks into as few messages as the block-count and size budgets allow."""
    messages: list[SlackMessage] = []
    current: list[dict] = []
    size = 0
    for block in blocks:
        s = _size(block)
        if current and (len(current) >= MAX_BLOCKS or size + s > MESSAGE_BUDGET):
            messages.append(SlackMessage(fallback, current))
            current, size = [], 0
        current.append(block)
        size += s
    if current:
        messages.append(SlackMessage(fallback, current))
    total = len(messages)
    if total > 1:
        for i, m in enumerate(messages, 1):
            m.text = truncate(f"({i}/{total}) {fallback}", FALLBACK_LIMIT)
    return messages


def answer_messages(answer: Answer, answer_id: str | None = None) -> list[SlackMessage]:
    """The answer (labels kept), an abstention notice, a quoted Sources list, feedback buttons."""
    labels = {c.label for c in answer.citations}
    blocks: list[dict] = []
    if answer.abstained:
        blocks.append(
            context(":warning: *No answer from the Convention text* — nothing is cited below.")
        )
    blocks += [section(piece) for piece in split_text(to_mrkdwn(answer.text, labels))]
    if answer.notice and not answer.abstained and answer.notice.strip() != answer.text.strip():
        blocks.append(context(":information_source: " + escape(answer.notice)))
    if answer.citations:
        blocks.append({"type": "divider"})
        blocks.append(section("*Sources*"))
        for c in answer.citations:
            head = f"*[{escape(c.label)}]*\n"
            body = quote(escape(truncate(c.quote, QUOTE_LIMIT)))
            blocks.append(section(head + body))
    if answer_id:
        blocks.append(feedback_actions(answer_id))
    fallback = truncate(escape(answer.text), FALLBACK_LIMIT)  # Slack reads it as mrkdwn too
    return pack(blocks, fallback)


def article_messages(view: ArticleView) -> list[SlackMessage]:
    """An article's full text with its chapter and title."""
    head = f"*Article {view.number}. {escape(view.title)}*"
    blocks = [
        section(head),
        context(f"Chapter {view.chapter}: {escape(view.chapter_title)}"),
    ]
    blocks += [section(piece) for piece in split_text(escape(view.text()))]
    if view.cross_references:
        refs = ", ".join(str(n) for n in view.cross_references)
        blocks.append(context(f"Refers to articles: {refs}"))
    return pack(blocks, f"Article {view.number}. {escape(view.title)}")


def text_message(text: str) -> SlackMessage:
    """One section of mrkdwn ``text`` (already escaped)."""
    return SlackMessage(truncate(text, FALLBACK_LIMIT), [section(text)])


DRAFT_NOTE = (
    ":hourglass_flowing_sand: _Writing the answer… its citations are checked before it is final._"
)


def draft_message(text: str) -> SlackMessage:
    """An answer while it is being written (raw model text, escaped), marked as a draft."""
    shown = escape(text.strip()) or "…"
    return SlackMessage(truncate(shown, FALLBACK_LIMIT), [section(shown), context(DRAFT_NOTE)])


def no_such_article(number: int) -> SlackMessage:
    return text_message(
        f":warning: The Convention has no Article {number}; its articles are numbered "
        f"{FIRST_ARTICLE} to {LAST_ARTICLE}. Try `/convention 27`."
    )
