"""The B1 measure and the glossary, on texts written for the purpose."""

from __future__ import annotations

import pytest

from assistant.answering.plain_language import Glossary, reading_level, syllables


@pytest.mark.parametrize("word, count", [("huur", 1), ("gemeente", 3), ("bestaanszekerheid", 5), ("uit", 1),
                                         ("zorgverzekeraar", 5), ("mijn", 1)])
def test_dutch_syllables(word, count):
    assert syllables(word) == count


def test_short_everyday_sentences_are_b1():
    level = reading_level("U kunt hulp vragen bij de gemeente [1]. Zij kijkt met u naar uw geld. Dat is gratis [2].")
    assert level.b1 and level.words_per_sentence <= 8 and level.reading_ease >= 60


def test_long_policy_sentences_are_not_b1():
    text = ("Gemeenten vragen het rijk om structurele financiële randvoorwaarden voor de uitvoering van de "
            "decentralisaties in het sociaal domein, zodat bestaanszekerheid en kansengelijkheid voor inwoners "
            "duurzaam geborgd kunnen worden binnen de beschikbare middelen [1].")
    level = reading_level(text)
    assert not level.b1
    assert level.words_per_sentence > 15 and level.rare_share > 0.15


def test_the_glossary_explains_the_terms_an_answer_contains():
    glossary = Glossary.load()
    found = [e.term for e in glossary.terms_in("De Wmo en de Participatiewet: bestaanszekerheid voor minima.")]
    assert found == ["bestaanszekerheid", "Wmo", "Participatiewet", "minima"]
    assert glossary.terms_in("Een gewone zin over het weer.") == []
    long = [e.term for e in glossary.entries if reading_level(e.explanation).words_per_sentence > 15]
    assert not long, "explanations are short sentences (B1)"


def test_a_term_matches_as_a_word_or_plural_only():
    glossary = Glossary.load()
    assert [e.term for e in glossary.terms_in("Veel decentralisaties.")] == ["decentralisatie"]
    assert glossary.terms_in("wmoloket") == []
