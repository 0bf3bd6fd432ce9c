"""The question bank, writer by writer, beside the dev set and our own set, with the eval kit's functions.

    python benchmarks/bank.py [--bank ../shared/eval/bank] [--show]

Prints, for each writer of the bank (five writers who never saw the code), then their mean, then
the dev set and our own set: unanswerable refused, answerable found, answer points stated with
the median answer length in words (over the answerable questions), answerable with a supporting
citation, and hit@1 / recall@5 of the search (k=10), as `score.py --ask` computes them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from answers import load_score_module  # noqa: E402

from assistant.config import Settings  # noqa: E402
from assistant.interfaces.contract import answer_json, parse_history  # noqa: E402
from assistant.pipeline import load_pipeline  # noqa: E402

SEARCH_DEPTH = 10  # as score.py asks the batch mode
COLUMNS = ("refused", "found", "points", "words", "supported", "hit@1", "recall@5")


def read_items(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


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
    parser.add_argument("--bank", type=Path, default=ROOT.parent / "shared" / "eval" / "bank")
    parser.add_argument("--dev", type=Path, default=ROOT.parent / "shared" / "eval" / "dev.jsonl")
    parser.add_argument("--own", type=Path, default=ROOT / "benchmarks" / "own_questions.jsonl")
    parser.add_argument("--show", action="store_true", help="print each question refused or answered wrongly")
    args = parser.parse_args()
    score = load_score_module(args.bank.parent / "score.py")
    answerer = load_pipeline(Settings.from_env()).answerer
    print(f"{'question set':22}{'refused':>8}{'found':>7}{'points':>8}{'words':>6}{'supported':>10}{'hit@1':>7}"
          f"{'recall@5':>9}")
    writers = {}
    for path in sorted(args.bank.glob("*.jsonl")):
        writers[path.stem] = figures(answerer, read_items(path), score, args.show)
        print(row(path.stem, writers[path.stem]), flush=True)
    if writers:
        print(row("mean of the writers", {c: statistics.mean(w[c] for w in writers.values()) for c in COLUMNS}))
    for name, path in (("dev set", args.dev), ("own set", args.own)):
        print(row(name, figures(answerer, read_items(path), score, args.show)), flush=True)


if __name__ == "__main__":
    main()
