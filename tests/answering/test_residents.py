"""For a resident: the hard words explained without an LLM, and the municipality's referral line
under every resident answer and every refusal, in the answer and in the batch output."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

from assistant.answering.keywords import fold
from assistant.answering.prompts import EXPLAIN_NEEDS_LLM, REFUSAL

from conftest import PROJECT, REFERRAL

RESIDENT = "Mijn buurvrouw kan de huur niet meer betalen en heeft schulden. Wat doet de gemeente?"


def test_a_resident_answer_explains_its_hard_words_without_an_llm(pipeline):
    answerer = copy.copy(pipeline.answerer)
    answerer.referral = REFERRAL
    answer = answerer.ask(RESIDENT, explain=True)
    assert answer.found and answer.notice == EXPLAIN_NEEDS_LLM
    assert answer.glossary, "the passages hold hard words"
    assert all(fold(e.term) in fold(answer.text) for e in answer.glossary), "only terms the answer holds"
    assert answer.referral == REFERRAL
    staff = answerer.ask(RESIDENT)
    assert not staff.glossary and not staff.referral, "a staff answer stays as it is"
    refused = answerer.ask("Hoe bak ik pannenkoeken?")
    assert not refused.found and refused.text.startswith(REFUSAL) and refused.referral == REFERRAL


def test_the_batch_output_carries_the_glossary_and_the_referral(pipeline):
    lines = [{"question": RESIDENT, "explain": True}, {"question": "Hoe bak ik pannenkoeken?"},
             {"question": RESIDENT, "explain": "ja"}]
    env = {**os.environ, "VECTORSTORE_DIR": str(pipeline.settings.vectorstore_dir), "HF_HUB_OFFLINE": "1",
           "REFERRAL_TEXT": REFERRAL}
    done = subprocess.run([sys.executable, "-m", "assistant", "ask", "--jsonl"], cwd=PROJECT, env=env, text=True,
                          input="\n".join(json.dumps(line) for line in lines) + "\n", capture_output=True,
                          encoding="utf-8", timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    resident, refused, bad = [json.loads(line) for line in done.stdout.splitlines()]
    assert resident["found"] and resident["referral"] == REFERRAL
    assert {"term", "explanation"} <= set(resident["glossary"][0])
    assert not refused["found"] and refused["referral"] == REFERRAL
    assert "explain" in bad["error"], "a bad 'explain' is an error line, the batch goes on"
