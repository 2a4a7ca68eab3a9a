"""How many contradicting LLM answers the verifier catches: ``python -m evals.contradictions
[--set test] [--report evals/reports/contradictions] [--stream]``.

An LLM stand-in (an OpenAI-compatible HTTP server on 127.0.0.1, in this script) answers every
question of the set with the extractive answer (the faithful reply), or with that answer edited
the way a careless model contradicts its citations, one edit per reply:

- ``negation``: "shall" -> "shall not" (or "may not", "is not", ...) in one sentence;
- ``number``: one number, ordinal or duration changed ("fortieth" -> "fiftieth", "90" -> "97");
- ``swapped labels``: the citations of two sentences that cite different provisions exchanged;
- ``bare no``: the whole reply is "No [label]."; ``no + reason``: "No." before a reply that
  says yes;
- ``prose article (invented)``: "Under Article 99, ..."; ``prose article (not supplied)``:
  "Under Article N, ..." for a real article that is not among the passages the prompt carried.

The assistant's LLM path (``assistant.answering.llm`` with the verifier) answers through the real
HTTP client; an edit is *caught* when the edited claim is not in the answer shown (dropped, or
the extractive answer shown instead). The faithful replies measure the cost: how often a correct
reply is cut or replaced. Only aggregate figures are printed and written (the frozen test
questions are never shown one by one). The product never imports this script, nor the judge.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from assistant import Assistant
from assistant.labels import BRACKETED, labels_in
from assistant.language.quantities import quantities
from assistant.language.sentences import split_sentences
from assistant.settings import Settings
from evals.dataset import load_set

KINDS = [
    "negation",
    "number",
    "swapped labels",
    "bare no",
    "no + reason",
    "prose article (invented)",
    "prose article (not supplied)",
]
_NEGATED = re.compile(r"\b(?:not|never|no|cannot|nothing|none|neither|nor)\b|n['’]t\b", re.I)
_MODAL = re.compile(r"\b(shall|may|must|can|will|should)\b(?!\s+not)", re.I)
_COPULA = re.compile(r"\b(is|are)\b(?!\s+not)")
_ORDINALS = [
    "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
    "twentieth", "thirtieth", "fortieth", "fiftieth", "sixtieth", "seventieth", "ninetieth",
]  # fmt: skip
_CARDINALS = ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twelve"]


def claim_of(sentence: str) -> str:
    text = BRACKETED.sub("", sentence)
    return " ".join(re.sub(r"\s+([.,;:!?])", r"\1", text).split()).strip()


def passages_in(body: dict) -> list[tuple[str, str]]:
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    return re.findall(r"^\[([^\]]+)\] [^:\n]*: (.+)$", user, flags=re.M)


# --- the edits ---------------------------------------------------------------------------------


@dataclass
class Edit:
    reply: str  # what the stand-in answers
    bad: Callable[[str], bool]  # does the answer shown still carry the edit?


def _edit_one(sentences: list[str], change: Callable[[str], str | None]) -> Edit | None:
    """Apply ``change`` to the claim of the first sentence it applies to."""
    for i, s in enumerate(sentences):
        claim = claim_of(s)
        new = change(claim)
        if not new or new == claim:
            continue
        labels = "; ".join(labels_in(s))
        edited = f"{new.rstrip('.')} [{labels}]."
        reply = " ".join(sentences[:i] + [edited] + sentences[i + 1 :])
        core = new.rstrip(".").strip()
        return Edit(reply, lambda shown, core=core: core in claim_of(shown))
    return None


def negate(claim: str) -> str | None:
    if _NEGATED.search(claim):
        return None
    for pattern in (_MODAL, _COPULA):
        m = pattern.search(claim)
        if m:
            return claim[: m.end()] + " not" + claim[m.end() :]
    return None


def _suffix(n: int) -> str:
    if n % 100 in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def change_number(claim: str) -> str | None:
    for q in quantities(claim):
        if q.kind in ("date", "year") or not q.text:
            continue
        word = q.text.lower()
        if re.fullmatch(r"\d+", word):
            new = str(int(word) + 7)
        elif re.fullmatch(r"\d+(st|nd|rd|th)", word):
            n = int(re.match(r"\d+", word).group(0)) + 7
            new = f"{n}{_suffix(n)}"
        elif word in _ORDINALS:
            new = _ORDINALS[(_ORDINALS.index(word) + 3) % len(_ORDINALS)]
        elif word in _CARDINALS:
            new = _CARDINALS[(_CARDINALS.index(word) + 3) % len(_CARDINALS)]
        else:
            continue
        if new in claim.lower():
            continue
        start = claim.lower().find(word)
        if start < 0:
            continue
        return claim[:start] + new + claim[start + len(word) :]
    return None


def swap_labels(sentences: list[str]) -> Edit | None:
    cited = [(i, labels_in(s)) for i, s in enumerate(sentences)]
    cited = [(i, labs) for i, labs in cited if len(labs) == 1 and claim_of(sentences[i])]
    for a in range(len(cited)):
        for b in range(a + 1, len(cited)):
            (i, [la]), (j, [lb]) = cited[a], cited[b]
            if la.split("(")[0] == lb.split("(")[0]:
                continue  # provisions of one article share their lead-in: not a clear swap
            out = list(sentences)
            out[i] = f"{claim_of(sentences[i]).rstrip('.')} [{lb}]."
            out[j] = f"{claim_of(sentences[j]).rstrip('.')} [{la}]."
            wrong = {claim_of(sentences[i]).rstrip("."): lb, claim_of(sentences[j]).rstrip("."): la}

            def bad(shown: str, wrong=wrong) -> bool:
                for s in split_sentences(shown):
                    claim = claim_of(s).rstrip(".")
                    if claim in wrong and wrong[claim] in labels_in(s):
                        return True
                return False

            return Edit(" ".join(out), bad)
    return None


def make_edit(kind: str, text: str, body: dict, articles: set[int]) -> Edit | None:
    sentences = split_sentences(text)
    if not sentences:
        return None
    if kind == "negation":
        return _edit_one(sentences, negate)
    if kind == "number":
        return _edit_one(sentences, change_number)
    if kind == "swapped labels":
        return swap_labels(sentences)
    if kind == "bare no":
        labels = labels_in(sentences[0])
        if not labels or claim_of(text).lower().startswith("no"):
            return None
        return Edit(f"No [{labels[0]}].", lambda shown: shown.strip().lower().startswith("no"))
    if kind == "no + reason":
        if _NEGATED.search(claim_of(text)) or claim_of(text).lower().startswith("no"):
            return None  # the reply says no itself: "No." would be right
        return Edit("No. " + text, lambda shown: shown.strip().lower().startswith("no"))
    if kind.startswith("prose article"):
        if kind.endswith("(invented)"):
            number = max(articles) + 31
        else:
            supplied = {int(n) for lab, _ in passages_in(body) for n in re.findall(r"\d+", lab)}
            supplied |= {int(n) for _, t in passages_in(body) for n in re.findall(r"\d+", t)}
            spare = sorted(articles - supplied)
            if not spare:
                return None
            number = spare[len(spare) // 2]

        def prefix(claim: str) -> str:
            first = (
                claim[:1].lower() if claim[:4] in ("Each", "The ", "A St", "Stat") else claim[:1]
            )
            return f"Under Article {number}, {first}{claim[1:]}"

        return _edit_one(sentences, prefix)
    raise ValueError(kind)


# --- the stand-in server ----------------------------------------------------------------------


class StandIn:
    """An OpenAI-compatible server whose answer is ``plan(body)`` (the script sets it per
    question); follow-up condensing requests get an empty reply (rule-based resolution)."""

    def __init__(self) -> None:
        self.plan: Callable[[dict], str] = lambda body: ""
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                system = next(m["content"] for m in body["messages"] if m["role"] == "system")
                content = "" if "standalone question" in system else standin.plan(body)
                if body.get("stream"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    pieces = re.findall(r"\S+\s*|\s+", content)
                    for i, piece in enumerate([*pieces, None]):
                        delta = {"content": piece} if piece is not None else {}
                        finish = "stop" if piece is None else None
                        chunk = {
                            "id": "x",
                            "object": "chat.completion.chunk",
                            "created": int(time.time()),
                            "model": "standin",
                            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                        }
                        del i
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.write(b"data: [DONE]\n\n")
                    return
                data = json.dumps(
                    {
                        "id": "x",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": "standin",
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": content},
                                "finish_reason": "stop",
                            }
                        ],
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def stop(self) -> None:
        self.server.shutdown()


# --- the run ----------------------------------------------------------------------------------


def quoted(text: str, body: dict, limit: int = 5) -> str:
    """The provisions the extractive answer cites, quoted from the prompt sentence by sentence,
    every sentence with its label (a model that follows the prompt to the letter)."""
    supplied = dict(passages_in(body))
    out: list[str] = []
    for label in dict.fromkeys(labels_in(text)):
        if label not in supplied:
            continue
        for sentence in split_sentences(supplied[label]):
            out.append(f"{sentence.rstrip(' .;:')} [{label}].")
    return " ".join(out[:limit])


def run(set_name: str, stream: bool) -> dict:
    standin = StandIn()
    try:
        base = Settings()
        extractive = Assistant(base, progress=False).ensure_ready()
        llm = Assistant(
            base.model_copy(
                update={
                    "llm": "openai:standin",
                    "llm_base_url": standin.base_url,
                    "llm_timeout": 30,
                }
            ),
            progress=False,
        ).ensure_ready()
        articles = set(extractive.catalog.article_numbers)
        sources = ("extractive", "quoted")
        faithful = {src: Counter() for src in sources}
        counts = {(src, k): Counter() for src in sources for k in KINDS}
        reasons = {(src, k): Counter() for src in sources for k in KINDS}
        items = [i for i in load_set(set_name) if not i.type.declined]
        t0 = time.perf_counter()
        for item in items:
            history = item.conversation(extractive.ask)
            ext = extractive.ask(item.question, history=history)
            if ext.abstained:
                continue
            state = llm.pipeline.until_gate(item.question, history)
            question = llm.pipeline._draft_question(state)
            for src in sources:
                for kind in ["faithful", *KINDS]:
                    made: list[tuple[str, Edit | None]] = []

                    def plan(body: dict, kind=kind, made=made, src=src, ext=ext) -> str:
                        text = ext.text if src == "extractive" else quoted(ext.text, body)
                        edit = None if kind == "faithful" else make_edit(kind, text, body, articles)
                        made.append((text, edit))
                        return edit.reply if edit else text

                    standin.plan = plan
                    if stream:
                        draft = list(llm.answerer.stream(question, state.retrieval))[-1]
                    else:
                        draft = llm.answerer.draft(question, state.retrieval)
                    text, edit = made[-1] if made else ("", None)
                    if not text.strip():
                        continue
                    if kind == "faithful":
                        f, v = faithful[src], draft.verification
                        f["replies"] += 1
                        f["sentences"] += len(split_sentences(text))
                        f["fell back"] += int("showing the extractive answer" in draft.notice)
                        if v is not None:
                            f["kept"] += len(v.kept)
                            f["dropped: unsupported"] += len(v.unsupported)
                            f["dropped: uncited"] += len(v.uncited)
                            for sent in v.contradicted:
                                f[f"dropped: {sent.problem}"] += 1
                            f["invented labels"] += len(v.invented)
                        continue
                    if edit is None:
                        continue
                    c = counts[(src, kind)]
                    c["applicable"] += 1
                    c["caught"] += int(not edit.bad(draft.text))
                    v = draft.verification
                    if v is not None:
                        for sent in v.contradicted:
                            reasons[(src, kind)][sent.problem] += 1
                        reasons[(src, kind)]["unsupported"] += len(v.unsupported)
                        reasons[(src, kind)]["invented label"] += len(v.invented)
        seconds = time.perf_counter() - t0
    finally:
        standin.stop()
    return {
        "set": set_name,
        "mode": "stream" if stream else "invoke",
        "questions": len(items),
        "seconds": round(seconds, 1),
        "faithful": {src: dict(faithful[src]) for src in sources},
        "edits": {
            src: {
                k: {**dict(counts[(src, k)]), "caught_by": dict(reasons[(src, k)].most_common())}
                for k in KINDS
            }
            for src in sources
        },
    }


def report(summary: dict) -> str:
    lines = [
        "# Contradicting LLM answers: how many the verifier catches",
        "",
        f"Set: `{summary['set']}` ({summary['questions']} questions that should be answered; "
        "those the extractive answerer abstained on are skipped). Path: "
        f"`LLMAnswerer.{'stream' if summary['mode'] == 'stream' else 'draft'}` through the real "
        "OpenAI client. Generated by `python -m evals.contradictions` (an OpenAI-compatible "
        "stand-in on 127.0.0.1 answers with a faithful reply, or that reply with one edit; see "
        "the script's docstring). Two faithful replies are edited: **extractive**, the "
        "extractive answer as written (plain-language summaries and quotes, not every sentence "
        "labelled); **quoted**, the provisions it cites quoted sentence by sentence, each "
        "sentence with its label (a model that follows the prompt to the letter).",
        "",
        "'Caught': the edited claim is not in the answer shown (its sentence was dropped, or too "
        "little survived and the extractive answer was shown instead). 'Checks' counts the "
        "sentences each check dropped in those replies (edited or not).",
    ]
    for src, edits in summary["edits"].items():
        lines += [
            "",
            f"## {src}",
            "",
            "| edit | applicable | caught | rate | checks that dropped sentences |",
            "|---|---:|---:|---:|---|",
        ]
        total_n = total_caught = 0
        for kind, e in edits.items():
            n, caught = e.get("applicable", 0), e.get("caught", 0)
            total_n += n
            total_caught += caught
            by = ", ".join(f"{k} {v}" for k, v in e.get("caught_by", {}).items() if v) or "–"
            rate = f"{caught / n:.3f}" if n else "–"
            lines.append(f"| {kind} | {n} | {caught} | {rate} | {by} |")
        rate = f"{total_caught / total_n:.3f}" if total_n else "–"
        lines.append(f"| **all** | {total_n} | {total_caught} | {rate} | |")
        f = summary["faithful"][src]
        drops = ", ".join(
            f"{k.split(': ', 1)[1]} {v}" for k, v in f.items() if k.startswith("dropped")
        )
        lines += [
            "",
            f"Faithful {src} replies (unedited): {f.get('replies', 0)} replies, "
            f"{f.get('sentences', 0)} sentences; {f.get('kept', 0)} kept; dropped: "
            f"{drops or 'none'}; {f.get('invented labels', 0)} labels not among the supplied "
            f"passages; {f.get('fell back', 0)} replaced by the extractive answer.",
        ]
    lines += [
        "",
        "Claim checks (`number`, `modality`, `negation`, `article`, `bare yes/no`) are the new "
        "ones; `unsupported` / `uncited` are the lexical support check and the citation rule "
        "(every sentence must cite) that existed before. A faithful sentence dropped by a "
        "claim check is a false alarm of that check.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--set", default="test", help="test (default), tuning, batch:<name>")
    p.add_argument("--stream", action="store_true", help="through ask_stream, not ask")
    p.add_argument("--report", help="directory for report.md and summary.json")
    args = p.parse_args(argv)
    summary = run(args.set, args.stream)
    text = report(summary)
    print(text)
    if args.report:
        out = Path(args.report)
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.md").write_text(text + "\n")
        (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
