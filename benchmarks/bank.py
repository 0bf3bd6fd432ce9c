"""The question bank, leaving one writer out, beside the dev set and our own set, with the eval kit's functions.

    python benchmarks/bank.py [--eval ../shared/eval] [--show]

What is fitted (the answerability model: scripts/train_answerability.py) is fitted on four writers
of the bank (five writers who never saw the code), the dev set and our own set, and scored on the
fifth writer, five times; the dev set and our own set are each scored with a model fitted on
everything else too, and the dev set also with the shipped model (fitted on everything). Prints
per set: unanswerable refused, answerable found, answer points stated with the median answer
length in words (over the answerable questions), answerable with a supporting citation, and
hit@1 / recall@5 of the search (k=10), as `score.py --ask` computes them; and the writers' mean.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "scripts"))

from answers import load_score_module  # noqa: E402
from train_answerability import evidence_pipeline, measured, question_sets, train  # noqa: E402

from assistant.answering.answerability import AnswerabilityModel  # noqa: E402
from assistant.answering.relevance import FEATURES, Relevance  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.interfaces.contract import answer_json, parse_history  # noqa: E402

SEARCH_DEPTH = 10  # as score.py asks the batch mode
COLUMNS = ("refused", "found", "points", "words", "supported", "hit@1", "recall@5")


def figures(answerer, items: list[dict], score, show: bool = False) -> dict[str, float]:
    """One question set's figures, each question searched and answered as the batch mode does."""
    outs, ranked = [], []
    for item in items:
        history = parse_history(item.get("history"))
        result = answerer.search(item["question"], history, k=SEARCH_DEPTH)
        ranked.append([{"source": p.chunk.source, "text": p.chunk.text} for p in result.passages])
        outs.append(answer_json(answerer.ask(item["question"], history)))
        if show and outs[-1]["found"] != bool(item["gold"]):
            print(f"  {item.get('id', '')} {'answered' if outs[-1]['found'] else 'refused'}: {item['question']}",
                  file=sys.stderr)
    refused, found = score.abstention(outs, items)
    ranks = score.rank_metrics(ranked, items)
    citations = score.citation_metrics(outs, items, ROOT / "seeds")
    answerable = [out for out, item in zip(outs, items, strict=True) if item["gold"]]
    return {"refused": refused, "found": found, "points": score.point_coverage(outs, items),
            "words": statistics.median([len(out["answer"].split()) for out in answerable] or [0]),
            "supported": citations["supported"], "hit@1": ranks["hit@1"], "recall@5": ranks["recall@5"]}


def row(name: str, values: dict[str, float]) -> str:
    return (f"{name:22}{values['refused']:8.2f}{values['found']:7.2f}{values['points']:8.2f}{values['words']:6.0f}"
            f"{values['supported']:10.2f}{values['hit@1']:7.2f}{values['recall@5']:9.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--own", type=Path, default=ROOT / "benchmarks" / "own_questions.jsonl")
    parser.add_argument("--show", action="store_true", help="print each question refused or answered wrongly")
    args = parser.parse_args()
    score = load_score_module(args.eval / "score.py")
    settings = Settings.from_env()
    sets = question_sets(args.eval, args.own)
    pipeline = evidence_pipeline(settings)
    rows = {name: measured(pipeline, items) for name, items in sets.items()}
    answerer, keywords = pipeline.answerer, pipeline.retriever.corpus.keywords

    def scored_without(held_out: str) -> dict[str, float]:
        others = [name for name in sets if name != held_out]
        model = train([row for name in others for row in rows[name]],
                      [item for name in others for item in sets[name]], others)
        answerer.relevance = Relevance(keywords, model, settings.found_threshold)
        return figures(answerer, sets[held_out], score, args.show)

    print(f"{'held out':22}{'refused':>8}{'found':>7}{'points':>8}{'words':>6}{'supported':>10}{'hit@1':>7}"
          f"{'recall@5':>9}")
    writers = {}
    for name in (name for name in sets if name not in ("dev", "own")):
        writers[name] = scored_without(name)
        print(row(name, writers[name]), flush=True)
    print(row("mean of the writers", {c: statistics.mean(w[c] for w in writers.values()) for c in COLUMNS}))
    print(row("dev set", scored_without("dev")))
    print(row("own set", scored_without("own")), flush=True)
    answerer.relevance = Relevance(keywords, AnswerabilityModel.load(features=tuple(FEATURES)),
                                   settings.found_threshold)
    print(row("dev set, shipped model", figures(answerer, sets["dev"], score, args.show)))


if __name__ == "__main__":
    main()
