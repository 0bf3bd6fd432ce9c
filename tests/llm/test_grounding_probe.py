"""The grounding probe end to end: a scripted LLM (tests/stub_llm.py) reads the numbered passages
the assistant sent over the real index and answers with one of their sentences, faithful or
altered (tests/grounding_probe.py); only the faithful claim may reach the user, and on the page
an unsupported sentence never appears, not even while the answer streams."""

from __future__ import annotations

import copy
from dataclasses import replace

import openai
import pytest

from assistant.answering.llm import LLMWriter
from assistant.answering.prompts import ANSWER_LABELS

from conftest import ask, last_answer_text, running_page
from grounding_probe import (
    ALTERED,
    ALWAYS_APPLIES,
    CLAUSES,
    best_sentence,
    clause_added,
    scripted,
    shown,
    with_marker,
)
from stub_llm import StubLLM, request_passages

# Our own questions (not the eval set's), each with a phrase of the passage that answers it.
PROBE_QUESTIONS = [
    ("Wat vragen gemeenten van het rijk voor de jeugdhulp?", "financiële zekerheid"),
    ("Hoe helpen gemeenten inwoners met schulden?", "schulden"),
    ("Welke rol spelen gemeenten bij de Participatiewet?", "Participatiewet"),
]


def probed(pipeline, form: str, question: str, phrase: str, index: int):
    made: list[str] = []
    stub = StubLLM(script=scripted(form, [phrase], index, made))
    answerer = copy.copy(pipeline.answerer)
    answerer.writer = LLMWriter(replace(pipeline.settings, llm_base_url=stub.base_url, llm_model="stub"))
    try:
        answer = answerer.ask(question)
    finally:
        stub.shutdown()
    assert stub.requests and made, "the stub was asked"
    return made[0], answer  # "" when the form does not apply to that sentence


@pytest.mark.parametrize("index, question, phrase", [(i, q, p) for i, (q, p) in enumerate(PROBE_QUESTIONS)])
def test_only_the_faithful_claim_is_shown(pipeline, index, question, phrase):
    claim, answer = probed(pipeline, "faithful", question, phrase, index)
    assert claim and answer.mode == "llm" and shown(claim, answer), answer.trace
    for form in ALTERED:
        claim, answer = probed(pipeline, form, question, phrase, index)
        if not claim:
            assert form not in ALWAYS_APPLIES, f"{form} applies to every sentence"
            continue  # that sentence holds no word the form changes
        assert not shown(claim, answer), f"{form}: {claim!r} was shown"
        assert answer.citations, "the passages answer still stands"


def test_the_page_and_the_chat_endpoint_never_show_an_unsupported_sentence(pipeline, browser):
    """The stub streams, word by word, a sentence with an invented clause, then the same sentence
    as written, then one more of the passages (while it streams, the checked sentence is shown);
    the chat's DOM, watched throughout, never holds the clause, and no chunk of the chat endpoint's
    stream does."""
    made: list[str] = []

    def script(request: dict) -> list[str]:
        passages = request_passages(request)
        number, sentence = best_sentence(passages, ["financiële zekerheid jeugdhulp"])
        last_number, last = best_sentence({n: t.replace(sentence, "") for n, t in passages.items()}, [])
        made.append(sentence)
        text = " ".join([with_marker(clause_added(sentence, 1), number), with_marker(sentence, number),
                         with_marker(last, last_number)])
        return [word + " " for word in text.split(" ")]

    stub = StubLLM(script=script, piece_seconds=0.05)
    clause = CLAUSES[1].strip(", ")
    with running_page(pipeline, LLM_BASE_URL=stub.base_url, LLM_MODEL="stub", LLM_TIMEOUT="60") as url:
        context = browser.new_context(viewport={"width": 1280, "height": 1100})
        tab = context.new_page()
        tab.goto(url)
        tab.wait_for_selector("#vraag textarea")
        tab.evaluate("""() => {
            window.seenTexts = [];
            const chat = document.querySelector('#gesprek');
            new MutationObserver(() => window.seenTexts.push(chat.innerText))
                .observe(chat, {subtree: true, childList: true, characterData: true});
        }""")
        ask(tab, "Wat vragen gemeenten van het rijk voor de jeugdhulp?")
        seen = tab.evaluate("() => window.seenTexts")
        final = last_answer_text(tab)
        context.close()
        chat = openai.OpenAI(base_url=url + "v1", api_key="niet-nodig", max_retries=0, timeout=120)
        chunks = list(chat.chat.completions.create(model=chat.models.list().data[0].id, stream=True, messages=[
            {"role": "user", "content": "Wat vragen gemeenten van het rijk voor de jeugdhulp?"}]))
    stub.shutdown()
    pieces = [chunk.choices[0].delta.content or "" for chunk in chunks]
    assert not [piece for piece in pieces if clause in piece], "the chat endpoint streamed the unsupported sentence"
    before_end = "".join(pieces[:-2])  # what came before the answer was whole (sources, the last chunk)
    assert made[-1][:60] in before_end, "the checked sentence was streamed as it was checked"
    grounded = chunks[-1].model_extra["grounded_answer"]
    assert grounded["ai_generated"] is True and grounded["origin"] == "llm"
    assert grounded["generated_by"]["model"] == "stub"
    assert made, "the stub was asked"
    assert not [t for t in seen if clause in t], "the unsupported sentence appeared in the chat"
    assert ANSWER_LABELS["llm"] in final and made[0][:60] in final, final
    streamed = [t for t in seen if made[0][:60] in t and ANSWER_LABELS["llm"] not in t]
    assert streamed, "the checked sentence was shown before the whole answer"
