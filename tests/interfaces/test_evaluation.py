"""A municipality's own questions evaluated (`python -m assistant eval`): the eval kit's measures,
computed the same way as `score.py` (checked against it on the dev set), a report in Markdown and
HTML with its plot, questions without gold, and a file that cannot be read."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from assistant.interfaces.evaluation import (
    MEASURE_WORDS,
    QuestionsError,
    evaluate,
    figures,
    read_questions,
    write_report,
)

from conftest import PROJECT

KIT = PROJECT.parent / "shared" / "eval"


def test_the_measures_are_the_eval_kits_own(pipeline):
    import importlib.util

    spec = importlib.util.spec_from_file_location("eval_score", KIT / "score.py")
    score = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(score)
    items = read_questions(KIT / "dev.jsonl")
    results = evaluate(pipeline, items)
    ours = figures(results)
    outs = [{"found": r.outcome == "answered", "answer": r.answer, "citations": r.citations} for r in results]
    ranked = score.rank_metrics([r.ranked for r in results], items)
    refused, found = score.abstention(outs, items)
    kit = {"hit@1": ranked["hit@1"], "recall@5": ranked["recall@5"], "answerable found": found,
           "unanswerable refused": refused, "answer points stated": score.point_coverage(outs, items),
           "supported": score.citation_metrics(outs, items, PROJECT / "seeds")["supported"]}
    for name, value in kit.items():
        assert ours[name] == pytest.approx(value), name


def test_own_questions_without_gold_get_outcomes_and_a_report(pipeline, tmp_path):
    questions = tmp_path / "balie.jsonl"
    questions.write_text("\n".join(json.dumps(item, ensure_ascii=False) for item in [
        {"question": "Wat doen gemeenten aan schulden?", "type": "balie"},
        {"question": "Wanneer wordt het grofvuil opgehaald?", "type": "balie"},
        {"question": "Wat vragen gemeenten van het rijk voor de jeugdhulp?", "type": "beleid"}]) + "\n",
        encoding="utf-8")
    results = evaluate(pipeline, read_questions(questions))
    assert [r.outcome for r in results] == ["answered", "refused", "answered"]
    assert figures(results) == {"questions": 3, "with gold": 0}, "no gold, no measures"
    written = write_report(results, tmp_path / "rapport", "balie")
    markdown, svg, page = (path.read_text(encoding="utf-8") for path in written)
    assert "| balie | 1 | 0 | 1 |" in markdown and "| beleid | 1 | 0 | 0 |" in markdown
    assert "| vraag-2 | balie | Wanneer wordt het grofvuil opgehaald? | niet in de documenten |" in markdown
    assert not any(word in markdown for word in MEASURE_WORDS.values())
    assert svg.startswith("<svg") and "<title" in svg and "balie: 1 beantwoord" in svg
    assert '<html lang="nl">' in page and "<table>" in page and "<svg" in page


def test_a_file_that_cannot_be_read_is_refused_with_its_line(tmp_path):
    bad = tmp_path / "vragen.jsonl"
    bad.write_text('{"question": "Wat is de Wmo?"}\n{"vraag": "zonder veld"}\n', encoding="utf-8")
    with pytest.raises(QuestionsError, match="line 2: needs a 'question'"):
        read_questions(bad)
    bad.write_text('{"question": "Wat is de Wmo?"\n', encoding="utf-8")
    with pytest.raises(QuestionsError, match="line 1: not JSON"):
        read_questions(bad)
    done = subprocess.run([sys.executable, "-m", "assistant", "eval", str(bad)], cwd=PROJECT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 2 and "line 1: not JSON" in done.stderr and "Traceback" not in done.stderr
