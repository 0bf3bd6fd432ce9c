"""The command line and the --jsonl batch interface, run as real processes."""

import json
import os
import subprocess
import sys

import pytest

from assistant.answering.citations import is_verbatim

from conftest import PROJECT

LINES = [
    {"question": "Wat vragen gemeenten van het rijk voor de jeugdhulp?", "history": []},
    {"question": "En wat vraagt men daarvoor van het rijk?",
     "history": [{"role": "user", "content": "Hoe zit het met de Wmo?"}, {"role": "assistant", "content": "..."}]},
    {"question": "   "},
    {"history": []},
    {"question": "Hoe bak ik pannenkoeken?"},
    {"question": "Hoeveel euro is die 2% van de zorgbegroting?"},  # the topic is there, the amount is not
]


def run_cli(pipeline, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "VECTORSTORE_DIR": str(pipeline.settings.vectorstore_dir), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "assistant", *args], input=stdin, capture_output=True,
                          text=True, encoding="utf-8", cwd=PROJECT, env=env, timeout=300)


@pytest.fixture(scope="module")
def batch_input():
    lines = [json.dumps(line, ensure_ascii=False) for line in LINES]
    lines.insert(3, "{dit is geen json")
    return "\n".join(lines) + "\n"


def test_search_batch_gives_one_json_line_per_input_line(pipeline, batch_input):
    done = run_cli(pipeline, "search", "--jsonl", "--k", "4", stdin=batch_input)
    assert done.returncode == 0, done.stderr[-2000:]
    outputs = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(outputs) == len(LINES) + 1
    first = outputs[0]
    assert first["found"] is True and 1 <= len(first["passages"]) <= 4
    assert set(first["passages"][0]) >= {"source", "section", "text", "score"}
    assert any("jeugd" in p["text"].lower() for p in first["passages"])
    assert any("wmo" in p["text"].lower() for p in outputs[1]["passages"])  # history is used
    assert outputs[2]["found"] is False and "vraag" in outputs[2]["error"].lower()  # whitespace question
    assert "error" in outputs[3] and "error" in outputs[4]  # bad JSON, missing question: the batch goes on
    assert outputs[5]["found"] is False and outputs[6]["found"] is False


def test_ask_batch_cites_verbatim(pipeline, batch_input, documents):
    done = run_cli(pipeline, "ask", "--jsonl", stdin=batch_input)
    assert done.returncode == 0, done.stderr[-2000:]
    outputs = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(outputs) == len(LINES) + 1
    answer = outputs[0]
    assert answer["found"] and answer["mode"] == "passages" and "[1]" in answer["answer"]
    assert answer["citations"]
    for citation in answer["citations"]:
        assert is_verbatim(citation["quote"], documents[citation["source"]])
    assert outputs[5]["found"] is False and outputs[5]["partial"] is False and outputs[5]["citations"] == []
    assert outputs[5]["answer"].startswith("Dat staat niet in de documenten")
    partial = outputs[6]
    assert partial["found"] is False and partial["partial"] is True
    assert partial["answer"].startswith("De documenten noemen geen bedrag.") and "Wel staat er:" in partial["answer"]
    assert partial["citations"] and "2%" in partial["citations"][0]["quote"]
    assert is_verbatim(partial["citations"][0]["quote"], documents[partial["citations"][0]["source"]])


def test_human_answer_in_the_terminal(pipeline):
    done = run_cli(pipeline, "ask", "Welk deel van de zorgbegroting willen gemeenten?")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "[1]" in done.stdout and "Bronnen:" in done.stdout and "»" in done.stdout
    assert "De waarde van het sociaal domein" in done.stdout


def test_empty_question_gets_a_dutch_hint(pipeline):
    done = run_cli(pipeline, "ask", "  ")
    assert done.returncode == 2
    assert "Typ eerst een vraag" in done.stderr
