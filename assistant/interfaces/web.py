"""The chat page (Gradio): streamed cited answers, a source panel, an article browser, feedback.

Citation labels in an answer are links (``#cite=<label>``); a small script (static/web.js)
turns clicks on them into events of hidden components, whose handlers render the cited
article into the side panel with the cited provision highlighted. ``#open=<n>`` opens an
article in the panel, ``#article=<n>`` in the article browser tab. Sources, the side panel and
the article browser also link to the official PDF at the provision's page (``...#page=N``).

Asking: the answer streams from ``Assistant.ask_stream`` as it is produced (with an LLM, one
verified sentence at a time). The page asks one question at a time: a question asked while an
answer is still streaming waits in a visible queue (static/web.js) and is asked next; the text
box is never cleared or written by the server, so nothing typed meanwhile is lost.

Served by :mod:`assistant.interfaces.http_api` (FastAPI outer app, Gradio mounted at "/").
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import gradio as gr

from assistant.answering.guard import InvalidQuestion
from assistant.core import ArticleView, Assistant
from assistant.feedback import FeedbackStore
from assistant.labels import BRACKETED, label_covers, labels_in, parse_article_label
from assistant.models import Answer, Citation, page_link, pages_text

STATIC = Path(__file__).with_name("static")
EXAMPLES = [
    "Can the police force a company to hand over subscriber information?",
    "When does the Convention enter into force?",
    "What safeguards protect human rights?",
    "Does the Convention criminalise illegal access to a computer system?",
    "How can a State ask another State to preserve stored data?",
    "What does Article 14 say?",
]
PANEL_HINT = (
    '<div class="panel-empty"><h3>Sources</h3><p>Click a citation such as '
    '<span class="cite-chip">Art. 27(b)</span> in an answer to read the provision here, '
    "with the cited words highlighted.</p></div>"
)
ROMAN = ["", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
ARTICLE_MENTION = re.compile(r"\b[Aa]rticles? \d{1,2}(?:(?:, | and | or )\d{1,2}\b)*\b")


@dataclass
class ChatSession:
    """One browser session's conversation (kept in ``gr.State``, never shared)."""

    messages: list[dict] = field(default_factory=list)  # what the Chatbot shows
    turns: list[tuple[str, str]] = field(default_factory=list)  # (question, answer) history
    answers: dict[int, Answer] = field(default_factory=dict)  # message index -> Answer


# --- rendering: answers -------------------------------------------------------------------------


def cite_href(label: str) -> str:
    return "#cite=" + quote(label, safe="")


def pdf_link_html(url: str, pages: list[int]) -> str:
    """A link to the official PDF at the first of ``pages`` ("" without a page)."""
    if not url or not pages:
        return ""
    return (
        f'<a class="pdf-page" href="{html.escape(page_link(url, pages))}" target="_blank" '
        f'rel="noopener noreferrer" title="Open the official PDF at this page">'
        f"Official text, {pages_text(pages)} ↗</a>"
    )


def _md_text(text: str) -> str:
    """Plain text made safe for the Chatbot's Markdown renderer."""
    text = html.escape(text, quote=False)
    return re.sub(r"([\\`*_\[\]#|~])", r"\\\1", text)


def linkify(text: str, labels: set[str]) -> str:
    """Markdown of an answer text whose known ``[label]`` markers become citation links."""
    out, pos = [], 0
    for m in BRACKETED.finditer(text):
        parts = [p.strip() for p in m.group(1).split(";")]
        if not all(p in labels for p in parts):
            continue
        out.append(_md_text(text[pos : m.start()]))
        out.append(" ".join(f"[{p}]({cite_href(p)})" for p in parts))
        pos = m.end()
    out.append(_md_text(text[pos:]))
    return "".join(out)


def _shorten(text: str, limit: int = 220) -> str:
    text = " ".join(text.split())
    if " … " in text:  # "lead-in … (b) provision": the provision is the distinctive part
        text = "… " + text.rsplit(" … ", 1)[1]
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def partial_markdown(shown: str) -> str:
    """The chat bubble while the answer streams: the text so far and a cursor."""
    return linkify(shown, set(labels_in(shown))) + " ▍"


def answer_markdown(answer: Answer) -> str:
    """The chat bubble of a complete answer: body, notice and Sources."""
    body = linkify(answer.text, {c.label for c in answer.citations})
    if answer.abstained:
        return f"**⚠️ Not answered from the Convention.**\n\n{body}"
    parts = [body]
    if answer.notice:
        parts.append(f"*{_md_text(answer.notice)}*")
    if answer.citations:
        titles = {p.label: p.title for p in answer.passages}
        lines = ["**Sources**"]
        for i, c in enumerate(answer.citations, 1):
            title = f" · {_md_text(titles[c.label])}" if titles.get(c.label) else ""
            page = f" · [{pages_text(c.pages)} ↗]({c.url})" if c.url and c.pages else ""
            lines.append(
                f"{i}. [{c.label}]({cite_href(c.label)}){title} — “{_md_text(_shorten(c.quote))}”"
                + page
            )
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def notice_html(answer: Answer | None) -> str:
    """A status line when the assistant abstained (the reason is in the answer itself, once)."""
    if answer is None or not answer.abstained:
        return ""
    return (
        '<div class="abstain-notice" role="status"><strong>The assistant abstained:</strong> '
        "nothing in its reply is cited, and no provision is quoted.</div>"
    )


# --- rendering: articles and sources ---------------------------------------------------------


def _chapter_line(view: ArticleView) -> str:
    roman = ROMAN[view.chapter] if view.chapter and view.chapter < len(ROMAN) else view.chapter
    return f"Chapter {roman} · {view.chapter_title}"


def _text_html(text: str, refs: set[int], scheme: str) -> str:
    """Escaped text with line breaks; mentions of cross-referenced articles become links."""

    def link(m: re.Match) -> str:
        return re.sub(
            r"\d+",
            lambda d: (
                f'<a href="#{scheme}={d.group(0)}" class="xref">{d.group(0)}</a>'
                if int(d.group(0)) in refs
                else d.group(0)
            ),
            m.group(0),
        )

    return ARTICLE_MENTION.sub(link, html.escape(text)).replace("\n", "<br>")


def article_html(view: ArticleView, cited: str | None = None, *, scheme: str = "article") -> str:
    """An article by provision; provisions covered by the ``cited`` label are in ``<mark>``.

    Cross-references link with ``#<scheme>=<n>`` ("article": browser tab, "open": side panel).
    """
    refs = set(view.cross_references)
    rows: list[str] = []
    chapeau, shown = "", ""  # the lead-in and paragraph number already on the page
    cited_pages: set[int] = set()
    for c in view.provisions:
        para = c.paragraph or ""
        num = "" if para.isalpha() else para.split("(")[0]
        sub = "(" in para or para.isalpha()
        if c.chapeau and c.chapeau != chapeau:
            lead = f"{num}. " if num else ""
            rows.append(f'<p class="chapeau">{_text_html(lead + c.chapeau, refs, scheme)}</p>')
            shown = num
        chapeau = c.chapeau
        prefix = f"{num}. " if num and num != shown else ""
        shown = num if sub else para
        body = _text_html(prefix + c.text, refs, scheme)
        hit = cited is not None and (label_covers(cited, c.label) or label_covers(c.label, cited))
        if hit:
            body = f"<mark>{body}</mark>"
            cited_pages.update(c.pages)
        classes = ["prov"] + (["sub"] if sub and not prefix else []) + (["cited"] if hit else [])
        page = f' data-page="{c.pages[0]}"' if c.pages else ""
        rows.append(
            f'<p class="{" ".join(classes)}" data-label="{html.escape(c.label)}"{page}>{body}</p>'
        )
    xrefs = ""
    if view.cross_references:
        links = " ".join(
            f'<a href="#{scheme}={n}" class="xref">Art. {n}</a>' for n in view.cross_references
        )
        xrefs = f'<div class="xrefs"><span>Refers to</span> {links}</div>'
    url = next((c.url for c in view.provisions if c.url), "")
    pdf = pdf_link_html(url, sorted(cited_pages) or view.pages)
    return (
        f'<div class="article-view" data-article="{view.number}">'
        f'<div class="art-chapter">{html.escape(_chapter_line(view))}</div>'
        f"<h3>Article {view.number}. {html.escape(view.title)}</h3>"
        + (f'<div class="pdf-line">{pdf}</div>' if pdf else "")
        + "".join(rows)
        + xrefs
        + "</div>"
    )


def _find_citation(session: ChatSession, label: str) -> tuple[Citation, Answer] | None:
    for idx in sorted(session.answers, reverse=True):
        answer = session.answers[idx]
        for c in answer.citations:
            if c.label == label:
                return c, answer
    return None


def panel_html(bot: Assistant, target: str, session: ChatSession | None) -> str:
    """Side panel for ``cite:<label>`` (a cited provision) or ``open:<n>`` (a whole article)."""
    kind, _, value = target.partition(":")
    value = value.strip()
    if kind == "open" and value.isdigit():
        view = bot.article(int(value))
        if view is None:
            return PANEL_HINT
        return _panel_frame(
            f"Article {view.number}", article_html(view, scheme="open"), view.number
        )
    if kind != "cite" or not value:
        return PANEL_HINT
    found = _find_citation(session or ChatSession(), value)
    parsed = parse_article_label(value)
    if parsed is not None:
        view = bot.article(parsed[0])
        if view is not None:
            return _panel_frame(value, article_html(view, value, scheme="open"), view.number)
    if found is None:
        return _panel_frame(value, '<p class="prov">This source is not in the conversation.</p>')
    citation, answer = found
    doc = next((p.document for p in answer.passages if p.label == value), citation.source)
    pdf = pdf_link_html(citation.url.split("#")[0], citation.pages)
    body = (
        f'<div class="article-view"><div class="art-chapter">{html.escape(doc)}</div>'
        f"<h3>{html.escape(value)}</h3>"
        + (f'<div class="pdf-line">{pdf}</div>' if pdf else "")
        + f'<p class="prov cited"><mark>{_text_html(citation.quote, set(), "open")}</mark></p>'
        "</div>"
    )
    return _panel_frame(value, body)


def _panel_frame(label: str, body: str, article: int | None = None) -> str:
    browse = (
        f'<a href="#article={article}" class="open-browser">Open in article browser →</a>'
        if article
        else ""
    )
    return (
        f'<div class="panel"><div class="panel-head"><span class="cite-chip">'
        f"{html.escape(label)}</span>{browse}</div>{body}</div>"
    )


# --- the page ----------------------------------------------------------------------------------


class WebUI:
    """Event handlers over one Assistant and one FeedbackStore."""

    def __init__(self, assistant: Assistant, feedback: FeedbackStore):
        self.bot = assistant
        self.feedback = feedback
        views = assistant.articles()
        self.views = {v.number: v for v in views}
        self.chapters: dict[int, str] = {}
        for v in views:
            self.chapters.setdefault(v.chapter or 0, v.chapter_title)

    # chat

    def respond(self, question: str, session: ChatSession) -> Iterator[tuple]:
        """Answer ``question``, streaming ``Assistant.ask_stream`` into the chat as it comes:
        (chatbot messages, session, notice) after each delta and at the end."""
        session = session or ChatSession()
        question = question or ""
        if not question.strip():
            yield session.messages, session, gr.skip()
            return
        messages = [*session.messages, {"role": "user", "content": _md_text(question)}]
        try:
            stream = self.bot.ask_stream(question, history=session.turns)  # validates first
        except InvalidQuestion as exc:
            messages.append({"role": "assistant", "content": f"⚠️ {_md_text(str(exc))}"})
            session.messages = messages
            yield messages, session, ""
            return
        pending = {"role": "assistant", "content": "*Searching the Convention…*"}
        yield [*messages, pending], session, ""
        shown, answer = "", None
        for item in stream:
            if isinstance(item, Answer):
                answer = item
                break
            shown += item
            if shown.strip():
                yield [*messages, _bubble(partial_markdown(shown))], session, gr.skip()
        if answer is None:  # cannot happen: every stream ends with its Answer
            return
        messages.append(_bubble(answer_markdown(answer)))
        session.answers[len(messages) - 1] = answer
        session.turns.append((question, answer.text))
        session.messages = messages
        yield messages, session, notice_html(answer)

    def clear(self) -> tuple:
        return [], ChatSession(), "", PANEL_HINT, ""

    def pick_example(self, data: gr.SelectData) -> str:
        value = data.value
        return value.get("text", "") if isinstance(value, dict) else str(value)

    def show_source(self, target: str, session: ChatSession) -> str:
        return panel_html(self.bot, target or "", session)

    def rate(self, session: ChatSession, comment: str, data: gr.LikeData) -> tuple[str, str]:
        index = data.index if isinstance(data.index, int) else data.index[0]
        answer = (session or ChatSession()).answers.get(index)
        liked = data.liked
        if isinstance(liked, str):
            liked = {"like": True, "dislike": False}.get(liked.lower(), liked)
        if answer is None or not isinstance(liked, bool):
            return "Only answers can be rated.", gr.skip()
        rating = 1 if liked else -1
        row = self.feedback.record(answer, rating, comment=comment or "", interface="web")
        thumb = "👍" if rating > 0 else "👎"
        return (
            f'<span class="fb-ok" data-feedback-id="{row}">{thumb} Thanks — feedback recorded '
            f"(#{row}) for “{html.escape(_shorten(answer.question, 60))}”.</span>",
            "",
        )

    # article browser

    def chapter_choices(self) -> list[tuple[str, int]]:
        return [(f"Chapter {ROMAN[n]} — {t}", n) for n, t in self.chapters.items() if n]

    def article_choices(self, chapter: int) -> list[tuple[str, int]]:
        return [
            (f"Art. {v.number} — {v.title}", v.number)
            for v in self.views.values()
            if v.chapter == chapter
        ]

    def browse(self, number: int | str | None) -> tuple:
        try:
            n = int(str(number).strip())
        except ValueError:
            n = 1
        view = self.views.get(n) or self.views[min(self.views)]
        chapter = view.chapter or 0
        return (
            gr.update(value=chapter),
            gr.update(choices=self.article_choices(chapter), value=view.number),
            article_html(view),
            gr.Tabs(selected="browse"),
        )

    def browse_chapter(self, chapter: int) -> tuple:
        first = self.article_choices(int(chapter))[0][1]
        return self.browse(first)[:3]

    def step(self, number: int, delta: int) -> tuple:
        numbers = sorted(self.views)
        i = numbers.index(int(number)) if int(number) in numbers else 0
        return self.browse(numbers[max(0, min(len(numbers) - 1, i + delta))])[:3]


def _bubble(content: str) -> dict:
    return {"role": "assistant", "content": content}


HEADER = """
<header class="ca-header">
  <div>
    <h1>Convention Assistant</h1>
    <p>Cited answers from the <strong>United Nations Convention against Cybercrime</strong>
    (General Assembly resolution A/RES/79/243). Every sentence quotes the official text and
    names its provision; click a citation to read it in context.</p>
  </div>
</header>
"""
FOOTER = """
<footer class="ca-footer">Answers quote the Convention verbatim and are not legal advice.
HTTP API: <a href="/docs" target="_blank">/docs</a> · <a href="/openapi.json" target="_blank">
OpenAPI schema</a></footer>
"""


def build(assistant: Assistant, feedback: FeedbackStore) -> gr.Blocks:
    """The page's Blocks (theme, CSS and JS are passed when mounting: see :func:`page_assets`)."""
    ui = WebUI(assistant, feedback)
    first = ui.browse(1)
    with gr.Blocks(title="Convention Assistant", fill_width=True) as demo:
        session = gr.State(ChatSession())
        gr.HTML(HEADER)
        with gr.Tabs(elem_id="tabs") as tabs:
            with gr.Tab("Ask", id="ask", elem_id="tab-ask"), gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=420):
                    chatbot = gr.Chatbot(
                        elem_id="chat",
                        label="Conversation",
                        show_label=False,
                        height=600,
                        placeholder=(
                            "**Ask about the Convention.** Answers quote the official text; "
                            "every sentence names its provision."
                        ),
                        examples=[{"text": q} for q in EXAMPLES],
                        feedback_options=("Like", "Dislike"),
                        buttons=["copy"],
                        layout="bubble",
                    )
                    notice = gr.HTML("", elem_id="notice")
                    gr.HTML("", elem_id="ask-status")  # filled by static/web.js
                    with gr.Row(elem_id="ask-row"):
                        question = gr.Textbox(
                            elem_id="question",
                            show_label=False,
                            placeholder="Ask a question about the Convention, e.g. "
                            "“Can the police force a company to hand over subscriber information?”",
                            max_length=4000,
                            scale=8,
                            lines=1,
                            max_lines=6,
                            autofocus=True,
                        )
                        send = gr.Button(
                            "Ask", variant="primary", scale=1, min_width=80, elem_id="ask"
                        )
                        clear = gr.Button(
                            "Clear", variant="secondary", scale=1, min_width=80, elem_id="clear"
                        )
                    with gr.Accordion("Rate an answer", open=False, elem_id="feedback-box"):
                        gr.Markdown(
                            "Use 👍 / 👎 under an answer. Optionally type a comment first; it "
                            "is stored with your rating, the question, the answer and its "
                            "citations."
                        )
                        comment = gr.Textbox(
                            elem_id="feedback-comment",
                            show_label=False,
                            placeholder="Optional comment on your next 👍 / 👎",
                            max_length=2000,
                        )
                        fb_status = gr.HTML("", elem_id="feedback-status")
                with gr.Column(scale=2, min_width=320, elem_id="panel-col"):
                    panel = gr.HTML(PANEL_HINT, elem_id="source-panel")
            with gr.Tab("Articles", id="browse", elem_id="tab-browse"):
                with gr.Row():
                    chapter = gr.Dropdown(
                        ui.chapter_choices(),
                        value=first[0]["value"],
                        label="Chapter",
                        elem_id="chapter",
                        scale=3,
                    )
                    article = gr.Dropdown(
                        ui.article_choices(first[0]["value"]),
                        value=1,
                        label="Article",
                        elem_id="article",
                        scale=3,
                    )
                    prev_btn = gr.Button("← Previous", scale=1, elem_id="prev")
                    next_btn = gr.Button("Next →", scale=1, elem_id="next")
                article_view = gr.HTML(first[2], elem_id="article-view")
        gr.HTML(FOOTER)
        # hidden bridge for clicks on links inside rendered HTML (see static/web.js)
        cite_target = gr.Textbox(visible="hidden", elem_id="cite-target")
        cite_go = gr.Button("open source", visible="hidden", elem_id="cite-go")
        article_target = gr.Textbox(visible="hidden", elem_id="article-target")
        article_go = gr.Button("open article", visible="hidden", elem_id="article-go")

        asked = gr.Textbox(visible="hidden", elem_id="asked")  # the question being answered
        queued = gr.Textbox(visible="hidden", elem_id="queued")  # the next one from the queue
        queued_go = gr.Button("ask queued", visible="hidden", elem_id="queued-go")

        chat_out = [chatbot, session, notice]
        private = {"api_visibility": "private"}

        def asking(event, source, outputs, js: str) -> None:
            """One question: taken from ``source`` in the browser (static/web.js empties the box
            in the key or click event itself, so nothing typed next is lost), answered, then the
            queue moves on."""
            event(None, source, outputs, js=js, **private).then(
                ui.respond, [asked, session], chat_out, concurrency_limit=None, **private
            ).then(None, js="() => window.caAnswered && window.caAnswered()")

        take_box = "(q) => window.caAsk ? window.caAsk(q) : q"
        take_queued = "(q) => window.caAskQueued ? window.caAskQueued(q) : q"
        asking(question.submit, question, [asked], take_box)
        asking(send.click, question, [asked], take_box)
        asking(queued_go.click, queued, [asked], take_queued)
        example = chatbot.example_select(ui.pick_example, None, queued, **private)
        asking(example.then, queued, [asked], take_queued)
        cleared = [chatbot, session, notice, panel, fb_status]
        clear.click(ui.clear, None, cleared, api_visibility="private")
        chatbot.clear(ui.clear, None, cleared, api_visibility="private")
        chatbot.like(ui.rate, [session, comment], [fb_status, comment], api_visibility="private")
        cite_go.click(ui.show_source, [cite_target, session], panel, api_visibility="private").then(
            None, js="() => window.caScrollToMark && window.caScrollToMark('#source-panel')"
        )
        browse_out = [chapter, article, article_view]
        article_go.click(ui.browse, article_target, [*browse_out, tabs], api_visibility="private")
        chapter.input(ui.browse_chapter, chapter, browse_out, api_visibility="private")
        article.input(lambda n: ui.browse(n)[:3], article, browse_out, api_visibility="private")
        prev_btn.click(lambda n: ui.step(n, -1), article, browse_out, api_visibility="private")
        next_btn.click(lambda n: ui.step(n, 1), article, browse_out, api_visibility="private")
    demo.queue(default_concurrency_limit=16, max_size=256)
    return demo


def page_assets() -> dict:
    """Theme, CSS and JS for ``gr.mount_gradio_app``: system fonts only, nothing fetched."""
    theme = gr.themes.Soft(
        primary_hue="blue",
        neutral_hue="slate",
        font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
    )
    return {
        "theme": theme,
        "css": (STATIC / "web.css").read_text(encoding="utf-8"),
        "js": (STATIC / "web.js").read_text(encoding="utf-8"),
    }


def launch(host: str = "127.0.0.1", port: int = 7860) -> None:
    """Serve the page and the HTTP API (``python app.py``, ``assistant serve``)."""
    from assistant.interfaces.http_api import serve

    serve(host=host, port=port)
