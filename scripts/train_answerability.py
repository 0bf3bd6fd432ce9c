"""Train the answerability model (assistant/answering/data/answerability.json) on labelled questions.

    python scripts/train_answerability.py [--eval ../shared/eval] [--own benchmarks/own_questions.jsonl]

A question is labelled answerable when it has gold passages. Each is searched as the batch mode
searches it; the relevance stage's measures of that search (relevance.FEATURES) are what the model
weighs. Trained on the dev set, every writer of the question bank and our own set; how well such a
model holds on writers it was not trained on is what `benchmarks/bank.py` measures (leave one
writer out). Run it again after a change to the measures, the question reader or retrieval.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.answering.answerability import DEFAULT_MODEL, AnswerabilityModel, fit  # noqa: E402
from assistant.answering.relevance import FEATURES  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.interfaces.contract import parse_history  # noqa: E402
from assistant.pipeline import Pipeline, load_pipeline  # noqa: E402


def read_items(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def question_sets(eval_dir: Path, own: Path) -> dict[str, list[dict]]:
    """The labelled sets by name: each writer of the bank, the dev set, our own set."""
    sets = {path.stem: read_items(path) for path in sorted((eval_dir / "bank").glob("*.jsonl"))}
    return {**sets, "dev": read_items(eval_dir / "dev.jsonl"), "own": read_items(own)}


def evidence_pipeline(settings: Settings) -> Pipeline:
    """The answer path with a model that weighs nothing: the measures do not depend on the model,
    and a saved model for other measures would not load."""
    return load_pipeline(settings, answerability=AnswerabilityModel.untrained(tuple(FEATURES)))


def measured(pipeline: Pipeline, items: list[dict]) -> list[dict[str, float]]:
    """The relevance stage's measures for each question, as the batch mode searches it."""
    answerer = pipeline.answerer
    return [answerer.search(item["question"], parse_history(item.get("history"))).verdict.evidence
            for item in items]


def train(rows: list[dict[str, float]], items: list[dict], sets: list[str]) -> AnswerabilityModel:
    labels = [bool(item["gold"]) for item in items]
    return fit(rows, labels, tuple(FEATURES),
               trained_on={"sets": sets, "questions": len(labels), "answerable": sum(labels),
                           "command": "python scripts/train_answerability.py"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--own", type=Path, default=ROOT / "benchmarks" / "own_questions.jsonl")
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL)
    args = parser.parse_args()
    sets = question_sets(args.eval, args.own)
    pipeline = evidence_pipeline(Settings.from_env())
    items = [item for questions in sets.values() for item in questions]
    model = train(measured(pipeline, items), items, list(sets))
    model.save(args.out)
    print(f"trained on {len(items)} questions ({', '.join(sets)}); saved {args.out}")
    for name, share in sorted(zip(model.features, model.weights, strict=True), key=lambda pair: -abs(pair[1])):
        print(f"  {share:+6.2f}  {FEATURES[name]}")


if __name__ == "__main__":
    main()
