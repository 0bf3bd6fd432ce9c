"""Retrieval configurations side by side, scored with the eval kit's own functions.

    python benchmarks/retrieval.py [--questions ../shared/eval/dev.jsonl] [--json out.json]
    python benchmarks/retrieval.py --precisions     (fp32 beside int8: dev and each writer of the bank)

Loads the pipeline once (the index under VECTORSTORE_DIR, built when missing), then runs every
question of the set through each configuration of `HybridRetriever` and prints, per
configuration, hit@1, recall@5, MRR@10 and all-gold@5 (`rank_metrics` of
`../shared/eval/score.py`), recall@5 per question type, the share of unanswerable questions
refused and of answerable ones found (`abstention`), and the median search time. The row
marked * is the default. A second table shows refused/found of the default at other `found`
thresholds, so the calibration is visible too.

With --precisions: the default configuration with the e5 encoder in fp32 and in int8
(EMBEDDING_PRECISION), each on an index of its own (VECTORSTORE_DIR, and beside it
`vectorstore-int8`, built when missing), on the dev set and each writer of the bank: hit@1,
recall@5, refused, found, and the median time to embed a question.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.answering.question import QuestionReader  # noqa: E402
from assistant.answering.relevance import Relevance  # noqa: E402
from assistant.answering.retrieval import HybridRetriever  # noqa: E402
from assistant.config import PRECISIONS, Settings  # noqa: E402
from assistant.pipeline import load_pipeline  # noqa: E402
from assistant.types import Role, Turn  # noqa: E402

# name -> changes to the default retriever; {} is the default itself
CONFIGURATIONS: dict[str, dict] = {
    "e5 only": {"keyword_weight": 0.0, "vocabulary": None},
    "Dutch BM25 only": {"dense_weight": 0.0, "vocabulary": None},
    "e5 + BM25, rank fusion (issue 2)": {"vocabulary": None, "fusion": "rrf"},
    "e5 + BM25, convex fusion": {"vocabulary": None},
    "+ vocabulary, rank fusion": {"fusion": "rrf"},
    "+ vocabulary, rank fusion, keywords x1.5": {"fusion": "rrf", "keyword_weight": 1.5},
    "+ vocabulary in keywords only": {"expand_dense": False},
    "+ vocabulary in keywords and embedding": {},
    "  same, vocabulary at full weight": {"expansion_weight": 1.0},
    "  same, keyword weight 0.5": {"keyword_weight": 0.5},
    "  same, keyword weight 1.5": {"keyword_weight": 1.5},
    "  same + sentence vectors (small to big)": {"sentence_weight": 1.0},
    "  same + sentence vectors at half weight": {"sentence_weight": 0.5},
}
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)  # the answerability probability (FOUND_THRESHOLD)


def load_score_module(path: Path):
    spec = importlib.util.spec_from_file_location("eval_score", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(retriever: HybridRetriever, items: list[dict], reader: QuestionReader,
        relevance: Relevance) -> tuple[list[list[dict]], list[dict], list[float]]:
    """Retrieval and the relevance verdict alone (no re-ranking by composition: see answers.py)."""
    ranked, outs, seconds = [], [], []
    for item in items:
        history = [Turn(Role(t["role"]), t["content"]) for t in item.get("history", [])]
        start = time.perf_counter()
        result = retriever.search(reader.read(item["question"], history), k=10)
        result.verdict = relevance.judge(result)
        seconds.append(time.perf_counter() - start)
        ranked.append([{"source": p.chunk.source, "text": p.chunk.text} for p in result.passages])
        outs.append({"found": result.found, "confidence": result.confidence})
    return ranked, outs, seconds


def read_items(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def compare_precisions(questions: Path, score) -> None:
    base = Settings.from_env().checked()
    sets = [questions, *sorted((questions.parent / "bank").glob("*.jsonl"))]
    print(f"{'question set':14}{'precision':>10}{'hit@1':>7}{'R@5':>7}{'refused':>9}{'found':>7}{'query ms':>10}")
    for precision in PRECISIONS:
        folder = base.vectorstore_dir if precision == base.embedding_precision else \
            base.vectorstore_dir.with_name(f"{base.vectorstore_dir.name}-{precision}")
        pipeline = load_pipeline(replace(base, embedding_precision=precision, vectorstore_dir=folder),
                                 build_if_needed=True, progress=True)
        retriever = pipeline.retriever
        retriever.search(retriever.reader.read("opwarmen"))
        for path in sets:
            items = read_items(path)
            ranked, outs, _ = run(retriever, items, retriever.reader, pipeline.answerer.relevance)
            metrics = score.rank_metrics(ranked, items)
            refused, found = score.abstention(outs, items)
            timings = []
            for item in items[:30]:
                start = time.perf_counter()
                getattr(pipeline.store.embeddings, "inner", pipeline.store.embeddings).embed_query(item["question"])
                timings.append(time.perf_counter() - start)
            print(f"{path.stem:14}{precision:>10}{metrics['hit@1']:7.3f}{metrics['recall@5']:7.3f}{refused:9.2f}"
                  f"{found:7.2f}{statistics.median(timings) * 1000:10.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=ROOT.parent / "shared" / "eval" / "dev.jsonl")
    parser.add_argument("--score", type=Path, help="score.py (default: beside the questions)")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument("--precisions", action="store_true", help="fp32 beside int8 on dev and the bank")
    args = parser.parse_args()

    score = load_score_module(args.score or args.questions.with_name("score.py"))
    if args.precisions:
        compare_precisions(args.questions, score)
        return
    items = read_items(args.questions)
    pipeline = load_pipeline(Settings.from_env().checked())
    default = pipeline.retriever
    threshold = pipeline.settings.found_threshold
    relevance = pipeline.answerer.relevance
    readers = {True: default.reader, False: QuestionReader(default.corpus.keywords, None)}
    default.search(default.reader.read("opwarmen"))  # the first call loads the model's lazy parts

    print(f"{len(items)} questions, {sum(1 for i in items if i['gold'])} answerable; * = default\n")
    header = (f"{'configuration':42}{'hit@1':>7}{'R@5':>7}{'MRR':>7}{'all@5':>7}{'refused':>9}{'found':>7}{'ms':>6}"
              "  recall@5 by type")
    print(header)
    figures = {}
    for name, changes in CONFIGURATIONS.items():
        with_vocabulary = changes.get("vocabulary", True) is not None
        retriever = default.model_copy(update={k: v for k, v in changes.items() if k != "vocabulary"})
        ranked, outs, seconds = run(retriever, items, readers[with_vocabulary], relevance)
        metrics = score.rank_metrics(ranked, items)
        refused, found = score.abstention(outs, items)
        median_ms = statistics.median(seconds) * 1000
        by_type = ", ".join(f"{t} {v:.2f}" for t, v in metrics["by_type"].items())
        mark = "*" if not changes else " "
        print(f"{mark}{name:41}{metrics['hit@1']:7.3f}{metrics['recall@5']:7.3f}{metrics['mrr@10']:7.3f}"
              f"{metrics['all-gold@5']:7.3f}{refused:9.2f}{found:7.2f}{median_ms:6.0f}  {by_type}")
        figures[name] = {**metrics, "refused": refused, "found": found, "median_ms": median_ms}

    print(f"\nfound threshold (default {threshold}): refused / found of the default")
    for other in THRESHOLDS:
        _, outs, _ = run(default, items, default.reader, Relevance(relevance.keywords, relevance.model, other))
        refused, found = score.abstention(outs, items)
        print(f"  {other:.2f}: refused {refused:.2f}, found {found:.2f}")
        figures[f"threshold {other:.2f}"] = {"refused": refused, "found": found}
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
