"""Our own question set, its calibration and test halves, scored with the eval kit's functions.

    python benchmarks/own_questions.py [--questions benchmarks/own_questions.jsonl]

`own_questions.jsonl` holds 80 questions the documents answer (10 of them a resident's situation
told without a question) and 87 they do not (24 of them off topic), in the three users' styles
(staff; front desk passing on a resident's words, with names and towns; citation lookup from a
half-remembered phrase), written from our own reading of the documents and of municipal practice,
not from the eval set. Each line has the eval set's fields plus `split`: rules were looked at on
the calibration half only; the test half is reported beside it. The answerability model is
trained on both halves (scripts/train_answerability.py); benchmarks/bank.py scores the set with
a model trained without it.
Prints per half: refused (unanswerable), found (answerable), hit@1, recall@5 and MRR@10 of the
answers' passages, answerable with a supporting citation, quotes verbatim.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from answers import load_score_module  # noqa: E402

from assistant.config import Settings  # noqa: E402
from assistant.interfaces.contract import answer_json  # noqa: E402
from assistant.pipeline import load_pipeline  # noqa: E402

SPLITS = ("calibration", "test")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=ROOT / "benchmarks" / "own_questions.jsonl")
    parser.add_argument("--score", type=Path, default=ROOT.parent / "shared" / "eval" / "score.py")
    parser.add_argument("--show", action="store_true", help="print each question answered wrongly")
    args = parser.parse_args()
    score = load_score_module(args.score)
    items = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    answerer = load_pipeline(Settings.from_env()).answerer
    print(f"{'half':13}{'questions':>10}{'refused':>8}{'found':>6}{'hit@1':>7}{'R@5':>6}{'MRR':>6}{'supp':>6}{'verb':>6}")
    for split in SPLITS:
        half = [i for i in items if i["split"] == split]
        outs, ranked = [], []
        for item in half:
            answer = answerer.ask(item["question"])
            outs.append(answer_json(answer))
            ranked.append([{"source": p.chunk.source, "text": p.chunk.text} for p in answer.passages])
            if args.show and answer.found != bool(item["gold"]):
                print(f"  {'found' if answer.found else 'refused'}: {item['question']}", file=sys.stderr)
        refused, found = score.abstention(outs, half)
        ranks = score.rank_metrics(ranked, half)
        citations = score.citation_metrics(outs, half, ROOT / "seeds")
        print(f"{split:13}{len(half):>10}{refused:8.2f}{found:6.2f}{ranks['hit@1']:7.3f}{ranks['recall@5']:6.3f}"
              f"{ranks['mrr@10']:6.3f}{citations['supported']:6.3f}{citations['verbatim']:6.3f}", flush=True)


if __name__ == "__main__":
    main()
