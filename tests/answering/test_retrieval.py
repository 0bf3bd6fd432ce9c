"""Retrieval and answers on the real index: the right sources, refusals, follow-ups."""

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from assistant.answering.citations import is_verbatim
from assistant.answering.prompts import REFUSAL
from assistant.answering.question import QuestionReader
from assistant.answering.retrieval import HybridRetriever
from assistant.types import Role, Turn

from conftest import shared_pipeline


def _top_sources(result, n=3):
    return [p.chunk.source for p in result.passages[:n]]


def test_staff_question_finds_the_proposition(pipeline):
    result = pipeline.answerer.search("Wat vragen gemeenten van het rijk om de wooncrisis aan te pakken?")
    assert result.found
    top = result.passages[0]
    assert top.chunk.source.startswith(("000_", "001_", "002_"))
    assert "wooncrisis" in top.chunk.text
    assert any("betaalbare woningen" in p.chunk.text for p in result.passages[:5])


def test_resident_paraphrase_finds_debt_help(pipeline):
    # everyday words: no "schulden", "schuldhulp" or "betalingsachterstand" in the question
    result = pipeline.answerer.search("Ik heb rekeningen die ik niet meer kan betalen en er komen steeds boetes bij")
    assert result.found
    assert any("betalingsachterstand" in p.chunk.text or "schuldhulp" in p.chunk.text
               for p in result.passages[:3]), [p.chunk.text[:80] for p in result.passages]


# A front desk passing on a resident's words: none of the documents' own terms in the question.
@pytest.mark.parametrize("question, expected", [
    ("Ik heb een aanmaning gekregen en nu komt de deurwaarder", "schuld"),
    ("Ik snap niks van die brieven van de overheid, alles is zo ingewikkeld", "complex"),
    ("Mijn zoon van 15 gaat bijna nooit meer naar school", "onderwijs"),
    ("Mijn moeder heeft dementie en ik zorg elke dag voor haar, ik kan het bijna niet meer aan", "mantelzorg"),
    ("Ik ben te zwaar en beweeg bijna niet, helpt de gemeente daarbij?", "overgewicht"),
    ("De school mag niks aan het wijkteam doorgeven vanwege de privacy, klopt dat?", "gegevensuitwisseling"),
])
def test_everyday_words_reach_the_policy_terms(pipeline, question, expected):
    result = pipeline.answerer.search(question)
    assert result.found
    assert any(expected in p.chunk.text.lower() for p in result.passages[:5]), \
        [p.chunk.text[:80] for p in result.passages]


def test_the_vocabulary_is_what_finds_them(pipeline):
    question = "Ik heb een aanmaning gekregen en nu komt de deurwaarder"
    reader = QuestionReader(pipeline.retriever.corpus.keywords, None)
    without = pipeline.retriever.search(reader.read(question))
    assert not any("schuld" in p.chunk.text.lower() for p in without.passages[:5])


def test_compound_words_match_their_parts(pipeline):
    result = pipeline.answerer.search("hulp bij schulden voor jongeren")
    assert any("schulden van jongeren" in p.chunk.text for p in result.passages[:3])


@pytest.mark.parametrize("question", [
    "Hoe bak ik pannenkoeken?",
    "Wat is de hoofdstad van Frankrijk?",
    "Wat zijn de openingstijden van het gemeentehuis?",
    "Wat vindt minister Verhoeven van de propositie van VNG en Divosa?",
    "Wie is de burgemeester van Utrecht?",
    "Wat eten we vanavond?",  # "eten" is in the vocabulary: its terms must not make this on topic
])
def test_questions_the_documents_do_not_answer_are_refused(pipeline, question):
    assert not pipeline.answerer.search(question).found
    answer = pipeline.answerer.ask(question)
    assert not answer.found and answer.text.startswith(REFUSAL) and not answer.citations


def test_a_fact_the_documents_lack_on_a_topic_they_cover_gets_a_partial_answer(pipeline, documents):
    answer = pipeline.answerer.ask("Over hoeveel euro gaat de 2% van de zorgbegroting precies?")
    assert not answer.found and answer.partial
    assert answer.text.startswith("De documenten noemen geen bedrag.") and "[1]" in answer.text
    assert [c.number for c in answer.citations] == [1] and "2%" in answer.citations[0].quote
    assert is_verbatim(answer.citations[0].quote, documents[answer.citations[0].source])


def test_a_partial_answer_quotes_what_was_asked_not_the_conversations_topic(pipeline):
    history = [Turn(Role.USER, "Mijn buurvrouw kan haar huur niet meer betalen. Wat kan de gemeente doen?"),
               Turn(Role.ASSISTANT, "Schulden. Inwoners die door schulden ... [1]")]
    answer = pipeline.answerer.ask("Hoeveel euro is die 2% van de zorgbegroting?", history)
    assert not answer.found
    assert not answer.partial or all("2%" in c.quote for c in answer.citations), answer.text


def test_a_quoted_title_prefers_that_document(pipeline):
    """"In 'De winst van het sociaal domein'": the 2021 article, not the proposition that cites it."""
    result = pipeline.answerer.search("Wat staat er in 'De winst van het sociaal domein' over preventie?")
    assert result.question.title == "De winst van het sociaal domein"
    assert _top_sources(result, 2) == ["003_601c73c71d766d51.txt"] * 2, _top_sources(result)


def test_the_authors_named_as_the_frame_do_not_pull_in_their_colophon(pipeline):
    """"Wat verstaan VNG en Divosa in de propositie onder de sociale basis?" is about the sociale
    basis: searched with the authors' names, the passages naming them came first."""
    result = pipeline.answerer.search("Wat verstaan VNG en Divosa in de propositie precies onder de sociale basis?")
    assert "sociale basis" in result.passages[0].chunk.text, result.passages[0].chunk.text[:120]
    steps = pipeline.answerer.ask("Wat verstaan VNG en Divosa in de propositie onder de sociale basis?").trace
    assert next(t.fields for t in steps if t.step == "retrieval")["query"] == "Wat verstaan onder de sociale basis?"


def test_a_follow_up_that_pivots_to_the_rijk_gets_the_rijk_section_of_the_same_theme(pipeline):
    """After what municipalities do about debts, "what do they want from the rijk for it" is the
    theme's own list of requests to the rijk, not what municipalities do again."""
    history = [Turn(Role.USER, "Wat doen gemeenten aan schulden?"),
               Turn(Role.ASSISTANT, "Inwoners met schulden ondersteunen we met schuldhulp vanaf de eerste signalen "
                                    "van betalingsachterstand [1].")]
    result = pipeline.answerer.search("En wat willen ze daarvoor van het rijk?", history)
    assert result.question.pivots
    assert result.passages[0].chunk.section_path.startswith("Bestaanszekerheid bieden")
    assert "Zekerheid die het rijk kan bieden" in result.passages[0].chunk.section_path
    steps = pipeline.answerer.ask("En wat willen ze daarvoor van het rijk?", history).trace
    assert next(t.fields for t in steps if t.step == "question")["pivots"] is True, "the trace says it pivoted"


def test_near_duplicates_are_grouped_with_all_their_sources(pipeline):
    # the web page (000) and the proposition (001) open with nearly the same paragraph
    result = pipeline.answerer.search("crises stapelen zich op, hoge energietarieven en vergrijzing", k=5)
    copies = [p for p in result.passages if "energietarieven en prijsstijgingen" in p.chunk.text]
    assert len(copies) == 1
    assert {"000_c6716b41ae63aa19.txt", "001_c76147defb583f46.txt"} <= set(copies[0].sources)


def test_follow_up_carries_the_topic(pipeline):
    history = [Turn(Role.USER, "Wat zeggen gemeenten over de jeugdhulp?"), Turn(Role.ASSISTANT, "...")]
    result = pipeline.answerer.search("En wat vraagt men daarvoor van het rijk?", history)
    assert any("jeugd" in p.chunk.text.lower() for p in result.passages[:3])


def test_extractive_answer_cites_verbatim(pipeline, documents):
    answer = pipeline.answerer.ask("Welk deel van de zorgbegroting willen gemeenten structureel krijgen?")
    assert answer.found and answer.mode == "passages"
    assert "[1]" in answer.text or "[2]" in answer.text
    assert answer.citations and 1 <= len(answer.text.splitlines()) <= 6  # the budget of a general question
    for citation in answer.citations:
        assert is_verbatim(citation.quote, documents[citation.source])
        assert f"[{citation.number}]" in answer.text
    assert any("2%" in c.quote for c in answer.citations)
    highlighted = [p for p in answer.passages if p.highlights]
    assert highlighted and highlighted[0].reference.count('"') >= 2


def test_a_name_in_a_residents_own_story_is_context(pipeline):
    result = pipeline.answerer.search(
        "Wij komen uit Syrië en mogen in Nederland blijven. Helpt de gemeente ons met taal en werk?")
    assert result.found
    assert any("statushouders" in p.chunk.text for p in result.passages[:5])


class TestStandardRetriever(RetrieversIntegrationTests):
    """LangChain's own standard suite, run on the hybrid retriever."""

    @property
    def retriever_constructor(self):
        return HybridRetriever

    @property
    def retriever_constructor_params(self):
        pipeline = shared_pipeline()
        return {"store": pipeline.store, "corpus": pipeline.retriever.corpus, "reader": pipeline.retriever.reader,
                "k": 5}

    @property
    def retriever_query_example(self):
        return "Wat is de sociale basis?"
