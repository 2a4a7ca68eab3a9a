"""What each method buys: ``python -m evals.ablation [--set tuning|test] [--only NAME ...]``.

Each configuration turns one part of the pipeline off (or back to the session-1 way) and is
run on the same question set; the table shows the differences from the full system. Parts that
change the index (the embedding model, indexed sources) get their own data directory under
``<data dir>/ablation/`` and are ingested once.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant import Assistant
from assistant.answering.selector import FEATURES
from assistant.settings import Settings
from evals.__main__ import run_ours
from evals.dataset import load_set
from evals.report import fmt

KEYS = [
    ("recall_at_5", "art. R@5"),
    ("paragraph_recall_at_5", "para. R@5"),
    ("paragraph_mrr", "para. MRR"),
    ("cites_gold", "cites gold"),
    ("cites_gold_paraphrase", "… paraphrase"),
    ("key_facts", "key facts"),
    ("all_gold_cited", "all gold"),
    ("padded_citations", "padded"),
    ("false_abstention_rate", "false abst."),
    ("abstention_near_miss", "near miss"),
    ("abstention_injection", "injections"),
]


@dataclass
class Config:
    name: str
    settings: dict = field(default_factory=dict)  # Settings overrides (need their own index)
    fusion: dict = field(default_factory=dict)  # FusionWeights overrides (same index)
    style: dict = field(default_factory=dict)  # AnswerStyle overrides (same index)
    drop_sources: tuple[str, ...] = ()  # manifest source ids left out of the index
    no_notes: bool = False  # answers without our summaries (quotes only)
    no_selector: bool = False  # the hand-set fit chooses what to cite, not the learned selector
    retriever: dict = field(default_factory=dict)  # HybridRetriever attributes (same index)
    selector_off: tuple[str, ...] = ()  # selector features given no weight
    selector: dict = field(default_factory=dict)  # Selector overrides (thresholds)
    no_manipulation: bool = False  # the gate without its learned manipulation reading


CONFIGS = [
    Config("full system"),
    Config("no question index", fusion={"questions_dense": 0.0, "questions_lexical": 0.0}),
    Config("no lexical (BM25) over provisions", fusion={"lexical": 0.0}),
    Config("no asked-kind lift", fusion={"asked_kind": 0.0}, style={"kind_lift": 1.0}),
    Config("packaged model (no fine-tuning)", settings={"embedding_model": "packaged"}),
    Config("provisions indexed without our notes", settings={"expand_provisions": False}),
    Config("hand-set fit instead of the learned selector", no_selector=True),
    Config("no coverage in choosing what to cite", style={"coverage_weight": 0.0}),
    Config("no base paragraph before a dependent one", style={"base_ratio": 0.0}),
    Config("no two-provision questions", style={"pair_min": 1.1}),
    Config(
        "hand-set fit, several provisions when close",
        no_selector=True,
        style={"single_unless_asked": False},
    ),
    Config("quotes only (no direct answer)", no_notes=True),
    Config(
        "one passage per article (no second provision of the leading articles)",
        retriever={"lead_articles": 0},
    ),
    Config(
        "selector without the earlier-answer and cooperation features",
        selector_off=("earlier_article", "cooperation_unasked"),
    ),
    Config("selector without question support", selector_off=("question_support",)),
    Config(
        "several provisions read from the wording (no learned several model)",
        selector={"several": None},
    ),
    Config(
        "parts cited whatever their probability, several from 0.05",
        style={"part_min": 0.0},
        selector={"several_threshold": 0.05},
    ),
    Config("gate without the learned manipulation reading (rules only)", no_manipulation=True),
]


def _bot(cfg: Config, base: Settings, work: Path) -> Assistant:
    overrides = dict(cfg.settings)
    if cfg.settings or cfg.drop_sources:
        data = base.data_dir / "ablation" / cfg.name.replace(" ", "-").replace("/", "-")
        overrides["data_dir"] = data
        if cfg.drop_sources:
            corpus = work / cfg.name.replace(" ", "-")
            shutil.copytree(base.corpus_dir, corpus, dirs_exist_ok=True)
            manifest = tomllib.loads((corpus / "sources.toml").read_text())
            kept = [s for s in manifest["source"] if s["id"] not in cfg.drop_sources]
            (corpus / "sources.toml").write_text(_toml_sources(kept))
            overrides["corpus_dir"] = corpus
    settings = base.model_copy(update=overrides)
    bot = Assistant(settings, progress=False).ensure_ready()
    if cfg.fusion:
        bot.retriever.weights = bot.retriever.weights.model_copy(update=cfg.fusion)
    if cfg.style:
        bot.extractive.style = replace(bot.extractive.style, **cfg.style)
    if cfg.no_notes:
        bot.extractive.notes = {}
    if cfg.no_selector:
        bot.extractive.selector = None
    if cfg.no_manipulation:
        bot.policy.manipulation = None
    for key, value in cfg.retriever.items():
        setattr(bot.retriever, key, value)
    sel = bot.extractive.selector
    if sel is not None and (cfg.selector_off or cfg.selector):
        weights = tuple(
            0.0 if f in cfg.selector_off else w for f, w in zip(FEATURES, sel.weights, strict=True)
        )
        bot.extractive.selector = replace(sel, weights=weights, **cfg.selector)
    return bot


def _toml_sources(sources: list[dict]) -> str:
    out = []
    for s in sources:
        out.append("[[source]]")
        for k, v in s.items():
            if isinstance(v, list):
                out.append(f"{k} = [" + ", ".join(f'"{x}"' for x in v) + "]")
            elif isinstance(v, bool):
                out.append(f"{k} = {'true' if v else 'false'}")
            else:
                out.append(f'{k} = "{v}"')
        out.append("")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.ablation")
    ap.add_argument("--set", default="tuning")
    ap.add_argument("--only", nargs="*", help="configuration names to run")
    args = ap.parse_args(argv)
    base = Settings().model_copy(update={"llm": ""})
    items = load_set(args.set)
    configs = [
        c for c in CONFIGS if not args.only or c.name in args.only or c.name == "full system"
    ]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for cfg in configs:
            _, agg = run_ours(_bot(cfg, base, Path(tmp)), items)
            rows.append((cfg.name, agg))
            print(f"done: {cfg.name}", flush=True)
    full = rows[0][1]
    print(f"\n| configuration ({args.set} set) | " + " | ".join(n for _, n in KEYS) + " |")
    print("|---|" + "---|" * len(KEYS))
    for name, agg in rows:
        cells = []
        for key, _ in KEYS:
            v = agg.get(key)
            if name == "full system" or v is None or full.get(key) is None:
                cells.append(fmt(v))
            else:
                cells.append(f"{fmt(v)} ({v - full[key]:+.3f})")
        print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
