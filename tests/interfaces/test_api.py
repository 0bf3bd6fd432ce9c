"""The JSON API on the real server (`python ui.py`): the batch interface's contract, bad input
answered with a 4xx and a clear error, and 20 users at once (its logins and tokens: test_exposure.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from assistant.answering.prompts import EMPTY_QUESTION, REFUSAL

from conftest import JEUGDHULP, PROJECT


@pytest.fixture(scope="module")
def api(page_url):
    with httpx.Client(base_url=page_url, timeout=120) as client:
        yield client


def test_ask_gives_the_batch_interfaces_answer(api, pipeline):
    response = api.post("/api/v1/ask", json={"question": JEUGDHULP})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    body = response.json()
    batch = subprocess.run([sys.executable, "-m", "assistant", "ask", "--jsonl"], cwd=PROJECT, text=True,
                           input=json.dumps({"question": JEUGDHULP}) + "\n", capture_output=True, encoding="utf-8",
                           env={**os.environ, "VECTORSTORE_DIR": str(pipeline.settings.vectorstore_dir)}, timeout=300)
    expected = json.loads(batch.stdout)
    for field in ("found", "mode", "answer", "citations"):
        assert body[field] == expected[field], field
    assert [step["step"] for step in body["trace"]] == [step["step"] for step in expected["trace"]]
    assert body["found"] and body["citations"] and "[1]" in body["answer"]


def test_follow_up_explain_search_lookup_and_documents(api):
    follow_up = api.post("/api/v1/ask", json={
        "question": "En wat vraagt men daarvoor van het rijk?", "explain": True,
        "history": [{"role": "user", "content": JEUGDHULP}, {"role": "assistant", "content": "..."}]}).json()
    assert follow_up["found"] and "jeugd" in follow_up["answer"].lower() and follow_up["glossary"]

    search = api.post("/api/v1/search", json={"question": JEUGDHULP, "k": 3}).json()
    assert search["found"] and len(search["passages"]) == 3
    assert set(search["passages"][0]) >= {"source", "section", "text", "score", "also_in"}

    lookup = api.post("/api/v1/lookup", json={"phrase": "pleisters plakken op losse problemen"}).json()
    assert lookup["matches"] and "pleisters" in lookup["matches"][0]["quote"]
    assert lookup["matches"][0]["citation"].startswith('"') and "VNG" in lookup["matches"][0]["reference"]

    documents = api.get("/api/v1/documents").json()
    assert len(documents) == 5 and all(d["chunks"] > 0 for d in documents)
    assert {"source", "title", "kind", "chunks", "indexed_at"} <= set(documents[0])
    assert documents[0]["indexed_at"], "the index records when it was completed"

    refused = api.post("/api/v1/ask", json={"question": "Hoe bak ik pannenkoeken?"}).json()
    assert not refused["found"] and refused["answer"].startswith(REFUSAL)


def test_the_contract_is_published(api):
    spec = api.get("/openapi.json").json()
    assert {"/api/v1/ask", "/api/v1/search", "/api/v1/lookup", "/api/v1/documents"} <= set(spec["paths"])
    assert "AskRequest" in spec["components"]["schemas"]


@pytest.mark.parametrize("route, body, status, says", [
    ("/api/v1/ask", None, 422, "body"),
    ("/api/v1/ask", "{dit is geen json", 422, "JSON"),
    ("/api/v1/ask", [1, 2], 422, "body"),
    ("/api/v1/ask", {}, 422, "question"),
    ("/api/v1/ask", {"question": 42}, 422, "question"),
    ("/api/v1/ask", {"question": "   "}, 400, EMPTY_QUESTION),
    ("/api/v1/ask", {"question": "x" * 20_000}, 400, "te lang"),
    ("/api/v1/ask", {"question": "Wat?", "history": [{"role": "system", "content": "x"}]}, 422, "history"),
    ("/api/v1/ask", {"question": "Wat?", "history": [{"role": "user", "content": "x"}] * 51}, 422, "history"),
    ("/api/v1/ask", {"question": "Wat?", "history": "geen lijst"}, 422, "history"),
    ("/api/v1/ask", {"question": "Wat?", "explain": "misschien"}, 422, "explain"),
    ("/api/v1/search", {"question": "Wat?", "k": 0}, 422, "k"),
    ("/api/v1/search", {"question": "Wat?", "k": "veel"}, 422, "k"),
    ("/api/v1/lookup", {"zin": "pleisters"}, 422, "phrase"),
    ("/api/v1/ask", {"question": "Wat?", "history": [{"role": "user", "content": "x" * 300_000}]}, 413, "bytes"),
    ("/api/v1/nergens", {"question": "Wat?"}, 404, "no route"),
])
def test_bad_input_gets_a_4xx_with_a_clear_error(api, route, body, status, says):
    if isinstance(body, str):
        response = api.post(route, content=body, headers={"content-type": "application/json"})
    else:
        response = api.post(route, json=body) if body is not None else api.post(route)
    assert response.status_code == status, response.text
    assert says.lower() in response.json()["error"].lower()


def test_twenty_users_at_once_all_get_their_answer(api):
    questions = [JEUGDHULP, "Wat is bestaanszekerheid?", "Wat doen gemeenten aan schulden?",
                 "Wat bedoelen ze met kansengelijkheid?"]
    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(lambda n: api.post("/api/v1/ask", json={"question": questions[n % 4]}), range(40)))
    assert [r.status_code for r in responses] == [200] * 40
    assert all(r.json()["found"] and r.json()["citations"] for r in responses)
