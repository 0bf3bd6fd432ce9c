"""Taking an answer along (plain text, the conversation as Markdown) and a passage in its document."""

from __future__ import annotations

from datetime import datetime

from assistant.answering.citations import passage_in_document, reference
from assistant.interfaces.export import answer_as_text, answer_for_chat, conversation_markdown, made_by
from assistant.interfaces.session import Session
from assistant.types import Answer, Citation, GlossaryEntry, Mode, NumberedPassage, Passage

from handmade import DOCUMENT, chunk_with

SCHULDEN = chunk_with("schuldhulp")
RIJK = chunk_with("Herzie de Participatiewet")


def cited(number: int, chunk) -> NumberedPassage:
    return NumberedPassage(number, Passage(chunk, 0.9), [], reference(DOCUMENT, chunk.section))


def answer_about_debts(question: str = "Wat doet de gemeente bij schulden? *dringend*") -> Answer:
    passages = [cited(1, SCHULDEN), cited(2, RIJK)]
    text = ("Gemeenten bieden schuldhulp:\n- Inwoners met schulden ondersteunen we met schuldhulp vanaf de eerste "
            "signalen van betalingsachterstand. [1]")
    return Answer(question, True, Mode.PASSAGES, text,
                  [Citation(1, DOCUMENT.name, DOCUMENT.title, SCHULDEN.section, "Inwoners met schulden ...")],
                  passages, glossary=[GlossaryEntry("schuldhulp", "Hulp als u rekeningen niet kunt betalen.")],
                  referral="Bel de gemeente: 14 020.")


def test_the_answer_as_plain_text_has_the_question_the_text_and_only_the_sources_it_cites():
    text = answer_as_text(answer_about_debts())
    lines = text.splitlines()
    assert lines[0] == "Vraag: Wat doet de gemeente bij schulden? *dringend*"
    assert "- Inwoners met schulden ondersteunen we met schuldhulp" in text and "[1]" in text
    assert "- schuldhulp: Hulp als u rekeningen niet kunt betalen." in lines
    assert "Bel de gemeente: 14 020." in lines
    sources = lines[lines.index("Bronnen:") + 1:]
    assert sources == [f"[1] {reference(DOCUMENT, SCHULDEN.section)}", "", made_by(answer_about_debts())], \
        "passage [2] is not cited: not listed"
    assert '"Onzekerheid die wij als gemeenten verminderen"' in sources[0]
    assert "<" not in text and "\\" not in text, "plain text: no markup, no escapes"


def test_a_refusal_as_plain_text_lists_no_sources():
    refusal = Answer("Wat kost een paspoort?", False, Mode.PASSAGES, "Dat staat niet in de documenten.", [],
                     [cited(1, SCHULDEN)])
    assert "Bronnen" not in answer_as_text(refusal)


def test_the_conversation_as_markdown_escapes_what_was_typed_and_keeps_the_answers_bullets():
    session = Session()
    session.add(answer_about_debts("Wat doet de gemeente bij schulden? <b>#1</b>"))
    session.add(answer_about_debts("En bij *wonen*?"))
    markdown = conversation_markdown(session.answers, "De waarde", now=datetime(2026, 12, 3, 9, 30))
    assert markdown.startswith("# Gesprek: De waarde\n\n*03-12-2026 09:30*")
    assert "## 1. Wat doet de gemeente bij schulden? \\<b\\>\\#1\\</b\\>" in markdown, "typed HTML is text"
    assert "## 2. En bij \\*wonen\\*?" in markdown
    assert "\n- Inwoners met schulden ondersteunen we met schuldhulp" in markdown
    assert markdown.count("**Bronnen**") == 2 and "- \\[1\\] VNG e" in markdown
    assert markdown.count("*Alleen passages*") == 2


def test_the_passage_is_marked_where_it_stands_in_its_document():
    shown = passage_in_document(DOCUMENT, SCHULDEN)
    assert [block for block, _ in shown] == DOCUMENT.blocks, "the whole document, block by block"
    marked = [block.text[start:end] for block, spans in shown for start, end in spans]
    assert marked and "".join(marked).replace(" ", "") in SCHULDEN.text.replace(" ", "") + SCHULDEN.text
    assert any("schuldhulp" in text for text in marked)
    assert not any("Participatiewet" in text for text in marked), "another passage stays unmarked"


def test_a_passage_of_another_document_marks_nothing():
    other = DOCUMENT.__class__("ander.md", DOCUMENT.source, "Ander", blocks=DOCUMENT.blocks)
    assert all(not spans for _, spans in passage_in_document(other, SCHULDEN))


def test_what_made_an_answer_is_said_under_it_in_every_export():
    extractive = answer_about_debts()
    written = answer_about_debts()
    written.mode, written.llm_model = Mode.LLM, "qwen-nl"
    assert "zinnen uit de documenten zelf" in made_by(extractive)
    assert "met taalmodel qwen-nl (AI-tekst" in made_by(written)
    for answer in (extractive, written):
        assert answer_as_text(answer).rstrip().endswith(made_by(answer))
        assert made_by(answer) in conversation_markdown([answer], "De waarde").replace("\\", "")
        assert answer_for_chat(answer).endswith(made_by(answer))


def test_the_chat_text_starts_with_the_answer_and_lists_each_cited_source_with_its_quotes():
    answer = answer_about_debts()
    answer.notice = "Let op."
    text = answer_for_chat(answer)
    assert text.startswith(answer.text), "a streamed answer's checked sentences stay its start"
    sources = text.split("\nBronnen:\n")[1].splitlines()
    assert sources[:2] == [f"[1] {reference(DOCUMENT, SCHULDEN.section)}", "> Inwoners met schulden ..."]
    assert not any(line.startswith("[2]") for line in sources), "passage [2] is not cited"
    assert text.index("(Let op.)") < text.index("Bronnen:") and "\\" not in text
