"""What a user typed in Slack, as a plain question (mentions, links and escapes removed)."""

from __future__ import annotations

import re

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#[CG][A-Z0-9]+(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(?:here|channel|everyone)(?:\|[^>]*)?>|<!subteam\^[^>]*>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
_ARTICLE = re.compile(r"^(?:art(?:icle)?\.?\s*)?(\d{1,6})\.?$", re.I)


def clean_question(text: str, bot_user_id: str | None = None) -> str:
    """Strip the bot's own mention, render other markup as plain text, unescape, trim."""

    def user(m: re.Match) -> str:
        if bot_user_id and m.group(1) == bot_user_id:
            return " "
        return "@" + (m.group(2) or "someone")

    out = _USER.sub(user, text or "")
    out = _CHANNEL.sub(lambda m: "#" + (m.group(1) or "channel"), out)
    out = _SPECIAL.sub(" ", out)
    out = _LINK.sub(lambda m: m.group(2) or m.group(1), out)
    out = out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return re.sub(r"[ \t]+", " ", out).strip()


def article_number(text: str) -> int | None:
    """``"27"``, ``"Art. 27"``, ``"article 27"`` -> 27; anything else -> None."""
    m = _ARTICLE.match(text.strip())
    return int(m.group(1)) if m else None
