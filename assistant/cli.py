"""Command line: ``assistant fetch | ingest | ask | show | serve | mcp | slack | feedback``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import asdict
from pathlib import Path

from assistant.settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    if getattr(args, "source_dir", None):
        overrides["source_dir"] = Path(args.source_dir)
    return Settings(**overrides)


def cmd_fetch(args: argparse.Namespace) -> int:
    from assistant.documents.loader import locate
    from assistant.documents.sources import load_manifest

    settings = _settings(args)
    for source in load_manifest(settings.manifest_path):
        path = locate(source, settings, download_missing=True)
        where = path if path else "not available (optional)" if source.optional else "MISSING"
        print(f"{source.id:28} {where}")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from assistant.index.ingest import ingest

    report = ingest(_settings(args), progress=not args.quiet, rebuild=args.rebuild)
    print(f"Ingest: {report}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Exit 0 when the index is complete and current and the model exported; 1 when it is
    complete but can be brought up to date (start-up does that when the sources are at hand,
    and serves it as it is when they are not); 2 when it must be built, resumed or rebuilt."""
    from assistant.index.embeddings import is_exported
    from assistant.index.integrity import IndexState, check, open_client

    settings = _settings(args)
    status = check(settings, open_client(settings))
    exported = is_exported(settings)
    if not args.quiet:
        model = "exported" if exported else "not exported yet (assistant export-onnx)"
        print(f"index: {status.state}: {status.reason}")
        print(f"embedding model: {settings.embedding_model_id}, ONNX {model}")
    if status.ready and exported:
        return 0
    return 1 if status.ready or status.state == IndexState.STALE else 2


def cmd_export_onnx(args: argparse.Namespace) -> int:
    from assistant.index.onnx_export import main as export_main

    return export_main(["--if-needed"] if args.if_needed else [])


def cmd_finetune(args: argparse.Namespace) -> int:
    from assistant.chunking import chunk_corpus
    from assistant.documents.loader import load_corpus
    from assistant.documents.sources import load_manifest
    from assistant.index.finetune import finetune

    settings = _settings(args)
    corpus = load_corpus(settings, progress=False)
    origin = next(s.id for s in load_manifest(settings.manifest_path) if s.kind == "convention")
    texts = {
        c.label: c.search_text()
        for chunks in chunk_corpus(corpus, origin).values()
        for c in chunks
        if c.source.official
    }
    out = Path(args.out) if args.out else settings.finetuned_model_dir
    path, seconds, pairs, trained = finetune(
        settings,
        texts,
        out,
        epochs=args.epochs,
        if_needed=args.if_needed,
        paraphrases=args.paraphrases,
        hard_negatives=args.hard_negatives,
    )
    if trained:
        print(f"fine-tuned on {pairs} pairs in {seconds:.0f} s: {path}")
    else:
        print(f"up to date ({pairs} pairs): {path}")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant import Assistant

    bot = Assistant(_settings(args), progress=not args.json)
    answer = bot.ask(" ".join(args.question))
    if args.json:
        print(json.dumps(asdict(answer), ensure_ascii=False, indent=2))
        return 0
    print(answer.format())
    if answer.notice and not answer.abstained:
        print(f"\n({answer.notice})")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from assistant import Assistant

    bot = Assistant(_settings(args))
    try:
        number = int(str(args.article).lower().removeprefix("art.").removeprefix("article").strip())
    except ValueError:
        print(f"error: {args.article!r} is not an article number (1-68)", file=sys.stderr)
        return 2
    view = bot.article(number)
    if view is None:
        print(
            f"error: the Convention has no Article {number}; its articles are numbered 1 to 68",
            file=sys.stderr,
        )
        return 2
    print(f"Chapter {view.chapter}: {view.chapter_title}")
    print(f"Article {view.number}. {view.title}")
    if view.pages:
        print(f"Official text, {view.pages_text}: {view.link}")
    print()
    print(view.text())
    if view.cross_references:
        print("\nRefers to articles: " + ", ".join(map(str, view.cross_references)))
    return 0


def cmd_slack(args: argparse.Namespace) -> int:
    from assistant import Assistant
    from assistant.interfaces.slack import SlackConfig, SlackConfigError, SlackStartupError, run

    try:
        config = SlackConfig.from_env()  # tokens only from the environment, never flags
    except SlackConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        run(config, Assistant(_settings(args)))
    except SlackStartupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from assistant import Assistant
    from assistant.interfaces.http_api import serve
    from assistant.interfaces.slack import SlackConfig, SlackConfigError, SlackStartupError

    settings = _settings(args)
    if args.source_dir:  # worker processes read their settings from the environment
        os.environ["ASSISTANT_SOURCE_DIR"] = str(settings.source_dir)
    slack = None
    if args.slack or settings.serve_slack:
        try:  # the web app serves Slack's HTTP endpoint: HTTP mode, signatures verified
            slack = SlackConfig.from_env({**os.environ, "SLACK_MODE": "http"})
        except SlackConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    try:
        serve(
            host=args.host,
            port=args.port,
            assistant=Assistant(settings),
            workers=args.workers or settings.workers,
            page=settings.serve_page and not args.no_page,
            slack=slack,
        )
    except SlackStartupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    return 0


def cmd_mcp(args: argparse.Namespace) -> int:
    from assistant import Assistant
    from assistant.interfaces.mcp_server import serve

    transport = "streamable-http" if args.http else "stdio"
    serve(
        Assistant(_settings(args), progress=False),
        transport=transport,
        host=args.host,
        port=args.port,
    )
    return 0


def cmd_feedback(args: argparse.Namespace) -> int:
    from assistant.feedback import FeedbackStore
    from assistant.state import open_database

    count = FeedbackStore(open_database(_settings(args))).export_jsonl(Path(args.file))
    print(f"exported {count} feedback record(s) to {args.file}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="assistant",
        description=("Cited answers on the UN Convention against Cybercrime (A/RES/79/243)."),
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = p.add_subparsers(dest="command", required=True)

    def add(name: str, func, help_: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_)
        sp.add_argument(
            "--source-dir",
            help="read the documents from this local mirror "
            "instead of downloading them (env ASSISTANT_SOURCE_DIR)",
        )
        sp.set_defaults(func=func)
        return sp

    add("fetch", cmd_fetch, "download the official documents into the cache")
    ing = add("ingest", cmd_ingest, "parse, chunk and index the documents (incremental)")
    ing.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    ing.add_argument(
        "--rebuild", action="store_true", help="drop the index and build it anew from the sources"
    )
    status = add("status", cmd_status, "index complete (exit 0), outdated (1) or unusable (2)?")
    status.add_argument("-q", "--quiet", action="store_true", help="exit status only")
    add(
        "export-onnx", cmd_export_onnx, "export the embedding model to ONNX (serving runs it)"
    ).add_argument("--if-needed", action="store_true", help="keep an export of the same model")
    ft = add("finetune", cmd_finetune, "fine-tune the embedding model on our question index")
    ft.add_argument("--epochs", type=int, default=1)
    ft.add_argument("--out", help="model directory (default <models dir>/convention-minilm)")
    ft.add_argument("--if-needed", action="store_true", help="skip when data are unchanged")
    ft.add_argument(
        "--paraphrases",
        action="store_true",
        help="also (question, summary) and (question, question) pairs (not adopted: untested "
        "on the test set)",
    )
    ft.add_argument(
        "--hard-negatives",
        action="store_true",
        help="add a sibling paragraph of the same article as each pair's negative",
    )
    ask = add("ask", cmd_ask, "answer a question with citations")
    ask.add_argument("question", nargs="+")
    ask.add_argument("--json", action="store_true", help="print the Answer as JSON")
    add("show", cmd_show, "print an article, e.g. `assistant show 27`").add_argument("article")
    add("slack", cmd_slack, "run the Slack bot (Socket Mode or HTTP; tokens from the environment)")
    serve = add("serve", cmd_serve, "start the web page and HTTP API (default 127.0.0.1:7860)")
    serve.add_argument("--host", default=os.environ.get("ASSISTANT_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("ASSISTANT_PORT", "7860")))
    serve.add_argument(
        "--workers",
        type=int,
        help="worker processes on the port (HTTP API and Slack; env ASSISTANT_WORKERS)",
    )
    serve.add_argument("--no-page", action="store_true", help="serve the HTTP API only")
    serve.add_argument(
        "--slack",
        action="store_true",
        help="also serve the Slack bot at SLACK_PATH (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET)",
    )
    mcp = add("mcp", cmd_mcp, "serve the MCP server (stdio; --http: streamable HTTP)")
    mcp.add_argument("--http", action="store_true", help="streamable HTTP instead of stdio")
    mcp.add_argument("--host", default="127.0.0.1", help="HTTP address (default 127.0.0.1)")
    mcp.add_argument("--port", type=int, default=8765, help="HTTP port (default 8765)")
    fb = add("feedback", cmd_feedback, "export the stored answer feedback")
    fb.add_argument("action", choices=["export"])
    fb.add_argument("file", help="JSON Lines output file")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run a command; any failure is one ``error: ...`` line on stderr and an exit status
    (2 bad input, 3 offline without a mirror, 4 damaged index, 1 anything else; see
    :mod:`assistant.interfaces.startup`)."""
    from assistant.interfaces.startup import run_entry

    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    return run_entry(lambda: args.func(args), debug=args.verbose)


if __name__ == "__main__":
    sys.exit(main())
