"""The domain vocabulary: matching rules and a clear error for a broken file."""

import pytest

from assistant.answering.vocabulary import DomainVocabulary


@pytest.fixture(scope="module")
def vocabulary():
    return DomainVocabulary.load()


def test_plain_inflections_and_prefixes_match(vocabulary):
    assert "schulden" in vocabulary.expand("Ik heb drie rekeningen open staan")  # rekening -> rekeningen
    assert "woning" in vocabulary.expand("Mijn huurachterstand loopt op")  # huur* -> huurachterstand


def test_every_key_word_must_be_present(vocabulary):
    assert "mantelzorg" in vocabulary.expand("Ik zorg voor mijn vader")
    assert "mantelzorg" not in vocabulary.expand("Mijn vader woont in Utrecht")


def test_rent_one_cannot_pay_is_a_debt_question_an_affordable_rental_is_not(vocabulary):
    assert "schuldhulp" in vocabulary.expand("Mevrouw kan haar huur niet meer betalen")
    assert "schuldhulp" not in vocabulary.expand("Hij vindt nergens een huurhuis dat hij kan betalen")


def test_short_keys_match_whole_words_only(vocabulary):
    assert "armoede" in vocabulary.expand("We zijn arm")
    assert vocabulary.expand("Wat is de hoofdstad van Frankrijk?") == ""


def test_abbreviations_are_spelled_out(vocabulary):
    assert "maatschappelijke ondersteuning" in vocabulary.expand("Valt dit onder de Wmo?")
    assert "basisregistratie personen" in vocabulary.expand("Staat zij in de BRP?")


def test_a_broken_vocabulary_file_is_a_clear_error(tmp_path):
    broken = tmp_path / "vocabulary.toml"
    broken.write_text('[expansions]\n"huur" = \n', encoding="utf-8")
    with pytest.raises(ValueError, match="Cannot read the domain vocabulary"):
        DomainVocabulary.load(broken)
