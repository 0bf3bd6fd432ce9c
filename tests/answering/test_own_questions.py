"""Our own question set is what the README says it is (fast: files only)."""

from __future__ import annotations

import json
from collections import Counter

from assistant.answering.citations import normalize_for_match

from conftest import PROJECT

QUESTIONS = [json.loads(line) for line in (PROJECT / "benchmarks" / "own_questions.jsonl").read_text(
    encoding="utf-8").splitlines() if line.strip()]


def test_at_least_sixty_of_each_kind_in_two_halves_with_unique_ids():
    kinds = Counter((q["split"], bool(q["gold"])) for q in QUESTIONS)
    assert set(kinds) == {("calibration", True), ("calibration", False), ("test", True), ("test", False)}
    assert sum(n for (_, answerable), n in kinds.items() if answerable) >= 60
    assert sum(n for (_, answerable), n in kinds.items() if not answerable) >= 60
    assert len({q["id"] for q in QUESTIONS}) == len(QUESTIONS)


def test_every_gold_quote_stands_verbatim_in_its_seed():
    for question in QUESTIONS:
        for gold in question["gold"]:
            source = (PROJECT / "seeds" / gold["doc"]).read_text(encoding="utf-8")
            assert normalize_for_match(gold["quote"]) in normalize_for_match(source), (question["id"], gold["quote"])
