"""Resident answers ("Leg uit voor een inwoner") measured for B1: the LLM's checked lead and the
passages answer, with the glossary terms each answer explains.

    python benchmarks/plain_language.py                     # passages only
    LLM_BASE_URL=http://127.0.0.1:8088/v1 LLM_MODEL=qwen-nl python benchmarks/plain_language.py

Asks the answerable resident questions of our own question set with explain on and prints, for
the LLM leads and for the passages answers: how many were measured, the share at B1, and the
medians of words per sentence, Flesch-Douma reading ease and rare-word share
(assistant/answering/plain_language.py), and the median number of glossary terms under an answer.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.answering.plain_language import reading_level  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.pipeline import load_pipeline  # noqa: E402
from assistant.types import Mode  # noqa: E402


def row(label: str, levels: list) -> str:
    if not levels:
        return f"{label:<22} {0:>4}"
    return (f"{label:<22} {len(levels):>4} {sum(lv.b1 for lv in levels) / len(levels):>6.2f} "
            f"{median(lv.words_per_sentence for lv in levels):>8.1f} {median(lv.reading_ease for lv in levels):>7.1f} "
            f"{median(lv.rare_share for lv in levels):>6.3f}")


def main() -> None:
    items = [json.loads(line) for line in (ROOT / "benchmarks" / "own_questions.jsonl").read_text().splitlines()]
    questions = [i["question"] for i in items if i["type"] == "resident" and i["id"].startswith("own-in")]
    answerer = load_pipeline(Settings.from_env()).answerer
    leads, passages, glossary, seconds = [], [], [], []
    for question in questions:
        start = time.perf_counter()
        answer = answerer.ask(question, explain=True)
        seconds.append(time.perf_counter() - start)
        if not answer.found:
            continue
        glossary.append(len(answer.glossary))
        if answer.mode == Mode.LLM and answer.reading_level:
            leads.append(answer.reading_level)
            passages.append(reading_level(answer.text.split("\n\n", 1)[1]))
        else:
            passages.append(reading_level(answer.text))
    print(f"{len(questions)} resident questions, {len(glossary)} answered, mode {answerer.mode.value}, "
          f"median {median(seconds):.1f} s")
    print(f"{'':<22} {'n':>4} {'B1':>6} {'w/sent':>8} {'ease':>7} {'rare':>6}")
    print(row("LLM lead", leads))
    print(row("passages answer", passages))
    print(f"glossary terms under an answer: median {median(glossary) if glossary else 0}, "
          f"answers with at least one {sum(1 for g in glossary if g) / max(1, len(glossary)):.2f}")


if __name__ == "__main__":
    main()
