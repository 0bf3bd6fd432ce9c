"""Personal data never leave the question: not to the LLM, the logs, the output or the feedback
file, while the question is still answered (real CLI process, real model and Chroma, a stub LLM
that records what it is sent)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from assistant.interfaces.session import Session
from assistant.records.store import Records, database_url

from conftest import PROJECT
from stub_llm import StubLLM

RESIDENT = ("Mevrouw Jansen (BSN 111222333, IBAN NL91ABNA0417164300, tel 06-12345678, mail m.jansen@example.nl, "
            "postcode 1234 AB 5, geboren 12-03-1985) heeft schulden en krijgt aanmaningen. Kan de gemeente helpen?")
SECRETS = ("Jansen", "111222333", "NL91ABNA0417164300", "06-12345678", "m.jansen@example.nl", "1234 AB",
           "12-03-1985")
FOLLOW_UP = {"question": "En wat kan meneer De Vries (0612345678) dan bij de gemeente vragen?",
             "history": [{"role": "user", "content": RESIDENT}, {"role": "assistant", "content": "..."}]}


def assert_no_secrets(text: str, where: str) -> None:
    for secret in (*SECRETS, "De Vries", "0612345678"):
        assert secret not in text, f"{secret!r} in {where}"


def test_personal_data_reach_neither_the_llm_nor_the_logs_nor_the_output(pipeline):
    llm = StubLLM()  # streams nothing: the assistant falls back to the passages, having sent its requests
    lines = [{"question": RESIDENT}, FOLLOW_UP]
    env = {**os.environ, "VECTORSTORE_DIR": str(pipeline.settings.vectorstore_dir), "HF_HUB_OFFLINE": "1",
           # a provider URL with a password in it, as some gateways want: it must not reach the log either
           "LLM_BASE_URL": llm.base_url.replace("http://", "http://gebruiker:geheim-wachtwoord@"),
           "LLM_MODEL": "stub", "LLM_TIMEOUT": "20", "LLM_API_KEY": "sk-geheim-0123456789"}
    done = subprocess.run([sys.executable, "-m", "assistant", "ask", "--jsonl"], cwd=PROJECT, env=env, text=True,
                          input="\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n",
                          capture_output=True, encoding="utf-8", timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    outputs = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["found"] for o in outputs] == [True, True], "the questions are still answered"
    assert "schuld" in outputs[0]["answer"].lower() and outputs[0]["citations"]
    assert set(outputs[0]["personal_data_left_out"]) == {"NAME", "BSN", "IBAN", "PHONE", "EMAIL", "ADDRESS",
                                                         "BIRTH_DATE"}
    assert llm.requests, "the LLM was asked"
    assert_no_secrets(json.dumps(llm.requests, ensure_ascii=False), "the LLM's requests")
    assert "[BSN]" in json.dumps(llm.requests, ensure_ascii=False), "the LLM reads placeholders"
    assert_no_secrets(done.stdout, "the batch output (trace included)")
    assert_no_secrets(done.stderr, "the log")
    assert "geheim" not in done.stderr, "no password or key in the log"


def test_the_store_keeps_no_personal_data(pipeline, tmp_path):
    session = Session()
    answer = pipeline.answerer.ask(RESIDENT)
    assert answer.found and answer.personal_data
    session.add(answer)
    assert session.personal_data_notice_due(answer) and not session.personal_data_notice_due(answer)
    records = Records(database_url("", tmp_path), retention_days=90)
    records.add_exchange(answer, 20.0, "page")
    records.add_feedback(session.feedback(1, True))
    assert session.feedback(1, True) is None, "the same like twice is recorded once"
    assert records.flush()
    stored = json.dumps([*records.exchanges(), *records.feedback()], default=str)
    assert_no_secrets(stored, "the store")
    assert "schulden" in records.feedback()[0]["question"]
    assert_no_secrets((tmp_path / "assistant.sqlite3").read_bytes().decode("utf-8", "replace"), "the database file")
