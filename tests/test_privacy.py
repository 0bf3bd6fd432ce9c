"""The personal-data filter, on residents' details as front-desk staff type them."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.privacy import PersonalDataFilter, bsn_valid, iban_valid, without_placeholders
from assistant.types import PersonalData

FILTER = PersonalDataFilter(today=lambda: date(2026, 12, 1))


@pytest.mark.parametrize("text, kind, secret", [
    ("Mevrouw heeft BSN 111222333 en schulden.", PersonalData.BSN, "111222333"),
    ("burgerservicenummer: 1112.22.333", PersonalData.BSN, "1112.22.333"),
    ("zijn nummer is 123 456 782, kan hij bijstand krijgen?", PersonalData.BSN, "123 456 782"),
    ("bsn 123456789 (verkeerd overgetypt) en huurachterstand", PersonalData.BSN, "123456789"),
    ("IBAN NL91ABNA0417164300 staat rood", PersonalData.IBAN, "NL91ABNA0417164300"),
    ("rekening NL91 ABNA 0417 1643 00 staat rood", PersonalData.IBAN, "0417 1643"),
    ("een Belgische rekening BE68539007547034", PersonalData.IBAN, "BE68539007547034"),
    ("bel haar op 06-12345678 over de schulden", PersonalData.PHONE, "12345678"),
    ("tel 0612345678", PersonalData.PHONE, "0612345678"),
    ("tel. +31 6 1234 5678", PersonalData.PHONE, "1234 5678"),
    ("vast nummer 010 123 4567", PersonalData.PHONE, "123 4567"),
    ("mail j.jansen@example.nl even", PersonalData.EMAIL, "jansen@example"),
    ("woont op 1234 AB 12 in Utrecht", PersonalData.ADDRESS, "1234 AB"),
    ("postcode 3511ab", PersonalData.ADDRESS, "3511ab"),
    ("adres Dorpsstraat 12a, Zwolle", PersonalData.ADDRESS, "Dorpsstraat 12"),
    ("geboren op 12-03-1985, alleenstaand", PersonalData.BIRTH_DATE, "12-03-1985"),
    ("geb. 3 maart 1990", PersonalData.BIRTH_DATE, "3 maart 1990"),
    ("(04/07/1962) heeft een uitkering", PersonalData.BIRTH_DATE, "04/07/1962"),
    ("Mevrouw Jansen heeft schulden", PersonalData.NAME, "Jansen"),
    ("dhr. P. de Vries zoekt werk", PersonalData.NAME, "de Vries"),
    ("de familie El Amrani is net verhuisd", PersonalData.NAME, "Amrani"),
    ("meneer Van den Berg-Bakker heeft hulp nodig", PersonalData.NAME, "Berg"),
])
def test_each_kind_of_personal_data_is_left_out(text, kind, secret):
    redaction = FILTER.redact(text)
    assert secret not in redaction.text
    assert kind.value in redaction.text
    assert kind in redaction.kinds


@pytest.mark.parametrize("text", [
    "Wat vragen gemeenten van het rijk voor de jeugdhulp?",
    "Hoeveel mensen hebben 1 miljoen euro schuld, en wat gebeurt er per 1 januari 2026?",
    "Wat veranderde er op 01-01-2015 met de decentralisaties?",
    "Het rijk trekt 123456789 euro uit",  # nine digits that fail the 11-proef and carry no BSN label
    "Bel 14 020 voor de gemeente",
    "Wat doet de gemeente voor de familie van een mantelzorger?",
    "Mijn buurvrouw kan de huur niet meer betalen.",
])
def test_policy_questions_are_left_as_they_are(text):
    redaction = FILTER.redact(text)
    assert redaction.text == text and not redaction.changed


def test_a_whole_front_desk_question_keeps_its_topic():
    text = ("Mevrouw Jansen (BSN 111222333, IBAN NL91ABNA0417164300, tel 06-12345678, mail m.jansen@example.nl, "
            "1234 AB 5, geboren 12-03-1985) heeft schulden en krijgt aanmaningen. Kan de gemeente helpen?")
    redaction = FILTER.redact(text)
    for secret in ("Jansen", "111222333", "NL91", "12345678", "example", "1234 AB", "1985"):
        assert secret not in redaction.text
    assert "heeft schulden en krijgt aanmaningen. Kan de gemeente helpen?" in redaction.text
    assert set(redaction.kinds) == set(PersonalData)


def test_names_are_an_option():
    redaction = PersonalDataFilter(names=False).redact("Mevrouw Jansen, BSN 111222333")
    assert "Jansen" in redaction.text and "[BSN]" in redaction.text


@pytest.mark.parametrize("number, valid", [("111222333", True), ("123456782", True), ("12345678", False),
                                           ("111222334", False), ("000000000", False), ("abc", False)])
def test_the_11_proef(number, valid):
    assert bsn_valid(number) is valid


@pytest.mark.parametrize("iban, valid", [
    ("NL91ABNA0417164300", True), ("NL91 ABNA 0417 1643 00", True), ("NL92ABNA0417164300", False),
    ("GB82WEST12345698765432", True), ("NL", False)])
def test_mod_97(iban, valid):
    assert iban_valid(iban) is valid


def test_placeholders_are_not_read_as_words():
    redaction = FILTER.redact("Mevrouw Jansen, BSN 111222333, heeft schulden.")
    assert without_placeholders(redaction.text) == "Mevrouw , BSN , heeft schulden."
