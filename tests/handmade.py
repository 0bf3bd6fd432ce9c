"""Hand-made documents for the fast tests: real cleaning, chunking and keyword index, no model."""

from __future__ import annotations

from assistant.answering.compose import Composer
from assistant.answering.grounding import Grounder
from assistant.answering.question import QuestionReader
from assistant.answering.relevance import Relevance
from assistant.answering.retrieval import Corpus
from assistant.answering.vocabulary import DomainVocabulary
from assistant.index.chunking import chunk_document
from assistant.index.documents import parse_blocks
from assistant.types import Document, Passage, SearchResult, Signals

PROPOSITION = """# Bestaanszekerheid bieden

Een steeds grotere groep inwoners ervaart onzekerheid over wonen, inkomen en werk. Onzekerheid geeft stress en kan mensen ziek maken.

## Onzekerheid die wij als gemeenten verminderen

Wij verminderen onzekerheid op de volgende opgaven:

- **Inkomen.** Inwoners moeten kunnen rekenen op voldoende en voorspelbaar inkomen. We bieden begeleiding en bijstand voor wie dat nodig heeft.
- **Schulden.** Inwoners met schulden ondersteunen we met schuldhulp vanaf de eerste signalen van betalingsachterstand. We voorkomen dat schulden stijgen door boetes en incassokosten.
- **Wonen.** We doen er alles aan om ervoor te zorgen dat er zoveel mogelijk woonplekken bij komen.

## Zekerheid die het rijk kan bieden

Gemeenten kunnen niet alles doen als het gaat om het oplossen van de wooncrisis. Wat wij daarom nodig hebben van het rijk:

- Investeer in voldoende passende en betaalbare woningen evenredig verspreid over het land.
- Herzie de Participatiewet fundamenteel, zonder dwingende standaard verplichtingen.
- Zorg vanaf 2026 voor financiële zekerheid voor de jeugdhulp met 2% van de zorgbegroting.

# Gezond samenleven

Bij ongewijzigd beleid heeft in 2040 naar verwachting 62% van de volwassenen overgewicht. Mariëtte Hamer, voorzitter van de SER, kreeg het statement op maandag 3 april.

De sociale basis is het geheel van voorzieningen in de wijk waar inwoners elkaar ontmoeten en steun vinden. Gemeenten investeren in de sociale basis.
"""


def document(text: str = PROPOSITION, name: str = "propositie.md") -> Document:
    return Document(name, text, "De propositie", citation_author="VNG e.a.", blocks=parse_blocks(text))


DOCUMENT = document()
CHUNKS = chunk_document(DOCUMENT)
CORPUS = Corpus(CHUNKS)
READER = QuestionReader(CORPUS.keywords, DomainVocabulary.load())
COMPOSER = Composer(CORPUS.keywords, CORPUS.following, CORPUS.preceding)
GROUNDER = Grounder(CORPUS.keywords)
RELEVANCE = Relevance(CORPUS.keywords)  # the shipped answerability model


def chunk_with(words: str):
    return next(c for c in CHUNKS if words in c.text)


# What retrieval measures for a typical question of the labelled sets (their medians): the relevance
# tests change one piece of evidence at a time from here
TYPICAL_SIMILARITY = 0.86
TYPICAL_DENSE_GAP = 0.015  # the best passage's lead over the fifth
TYPICAL_KEYWORD_SCORE = 5.0


def result_for(question: str, *passage_words: str, similarity: float = TYPICAL_SIMILARITY, history=()) -> SearchResult:
    """A search result whose passages are the chunks holding `passage_words`, best first."""
    passages = [Passage(chunk_with(w), 1.0 - i / 10) for i, w in enumerate(passage_words)]
    dense = [(f"passage-{rank}", similarity - TYPICAL_DENSE_GAP * rank / 4) for rank in range(5)]
    return SearchResult(READER.read(question, history), passages,
                        Signals(similarity=similarity, keyword_best=TYPICAL_KEYWORD_SCORE, dense_top=dense))
