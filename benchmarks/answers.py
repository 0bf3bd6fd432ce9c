"""Composition strategies side by side, scored with the eval kit's own functions.

    python benchmarks/answers.py [--questions ../shared/eval/dev.jsonl] [--only NAME]

Loads the pipeline once (the index under VECTORSTORE_DIR, built when missing) and answers every
question of the set (passages mode) with each composition configuration, printing answer points
stated (`point_coverage`), the median answer length in words, the share of answerable questions
with a supporting citation and the verbatim share (`citation_metrics`), hit@1 / MRR@10 of the
re-ranked passages (`rank_metrics`), and refused / found (`abstention`). The row marked * is
the default (assistant/answering/compose.py: Tuning()).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.answering.compose import Tuning  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.interfaces.contract import answer_json  # noqa: E402
from assistant.pipeline import load_pipeline  # noqa: E402
from assistant.types import Role, Turn  # noqa: E402

CONFIGURATIONS: dict[str, dict] = {
    "closest sentences only (no keywords, prior, kinds, lists)": {
        "heading": 0.0, "keyword": 0.0, "prior": 0.0, "kind": 0.0, "lists": False, "rerank": 0.0, "mmr_lambda": 1.0,
        "continuation": 0.0},
    "+ keywords": {
        "heading": 0.0, "prior": 0.0, "kind": 0.0, "lists": False, "rerank": 0.0, "mmr_lambda": 1.0,
        "continuation": 0.0},
    "+ passage prior": {
        "heading": 0.0, "kind": 0.0, "lists": False, "rerank": 0.0, "mmr_lambda": 1.0, "continuation": 0.0},
    "+ MMR": {"heading": 0.0, "kind": 0.0, "lists": False, "rerank": 0.0, "continuation": 0.0},
    "+ list items": {"heading": 0.0, "kind": 0.0, "rerank": 0.0, "continuation": 0.0},
    "+ section kinds": {"heading": 0.0, "rerank": 0.0, "continuation": 0.0},
    "+ re-ranking passages by the best sentence": {"heading": 0.0, "continuation": 0.0},
    "+ the next sentence of a strong chosen one (0.2, from 0.7)": {"heading": 0.0},
    "+ the words of the section's headings (0.25)": {},
    "  same, headings 0.5": {"heading": 0.5},
    "  same, from any chosen one": {"continue_from": 0.0},
    "  same, from 0.8 of the best": {"continue_from": 0.8},
    "  same, continuation 0.3": {"continuation": 0.3},
    "  same, continuation 0.4": {"continuation": 0.4},
    "  same, continuation 0.5": {"continuation": 0.5},
    "  same, MMR lambda 0.5": {"mmr_lambda": 0.5},
    "  same, 3 passages": {"passages": 3},
    "  same, budgets x0.7": {"word_scale": 0.7},
    "  same, budgets x1.0": {"word_scale": 1.0},
    "  same, no kind bonus": {"kind": 0.0},
}


def load_score_module(path: Path):
    spec = importlib.util.spec_from_file_location("eval_score", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=ROOT.parent / "shared" / "eval" / "dev.jsonl")
    parser.add_argument("--score", type=Path, help="score.py (default: beside the questions)")
    parser.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    parser.add_argument("--only", help="run only the configurations whose name contains this")
    args = parser.parse_args()

    score = load_score_module(args.score or args.questions.with_name("score.py"))
    items = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    pipeline = load_pipeline(Settings.from_env())
    answerer = pipeline.answerer
    default = answerer.composer.tuning
    print(f"{len(items)} questions, {sum(1 for i in items if i['gold'])} answerable; * = default\n")
    print(f"{'configuration':58}{'points':>7}{'words':>6}{'supp':>6}{'verb':>6}{'hit@1':>7}{'MRR':>6}"
          f"{'refused':>8}{'found':>6}")
    for name, changes in CONFIGURATIONS.items():
        if args.only and args.only not in name:
            continue
        answerer.composer.tuning = replace(Tuning(), **changes)
        outs, ranked = [], []
        for item in items:
            history = [Turn(Role(t["role"]), t["content"]) for t in item.get("history", [])]
            answer = answerer.ask(item["question"], history)
            outs.append(answer_json(answer))
            ranked.append([{"source": p.chunk.source, "text": p.chunk.text} for p in answer.passages])
        points = score.point_coverage(outs, items)
        citations = score.citation_metrics(outs, items, args.seeds)
        words = statistics.median([len(o["answer"].split()) for o, i in zip(outs, items, strict=True) if i["gold"]])
        ranks = score.rank_metrics(ranked, items)
        refused, found = score.abstention(outs, items)
        mark = "*" if answerer.composer.tuning == default else " "
        print(f"{mark}{name:57}{points:7.3f}{words:6.0f}{citations['supported']:6.3f}{citations['verbatim']:6.3f}"
              f"{ranks['hit@1']:7.3f}{ranks['mrr@10']:6.3f}{refused:8.2f}{found:6.2f}", flush=True)
    answerer.composer.tuning = default


if __name__ == "__main__":
    main()
