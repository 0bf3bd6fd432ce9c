"""Expected answer types: a question that asks for a specific kind of fact needs that fact.

Many questions the documents cannot answer are on topic: "hoeveel euro is die 2%?", "tot
wanneer kan ik de energietoeslag aanvragen?". Their nearest passages are close in meaning, so
no similarity threshold separates them. What separates them is that the question asks for an
amount, a date or time, a place or a person, and no retrieved sentence about the question's
subject holds one. This is the classic "expected answer type" check of question answering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .keywords import fold


@dataclass(frozen=True)
class AnswerType:
    name: str
    question: re.Pattern  # how a question asks for it (on folded text)
    evidence: re.Pattern  # what a sentence holding such a fact contains (on original text)


MONTHS = r"januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december"
DAYS_AND_SEASONS = r"maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag|voorjaar|zomer|najaar|winter"

ANSWER_TYPES = (
    AnswerType(
        "bedrag",
        re.compile(r"\bhoeveel (euro|geld)\b|\bhoe (hoog|duur)\b|\bwat kost\b|\b(welk|het) bedrag\b"
                   r"|\bmaximale\b.*\b(bijdrage|bedrag|vergoeding)\b|\bper maand\b"),
        re.compile(r"€|\beuro\b|\b\d+([.,]\d+)?\s*(miljoen|miljard)\b", re.IGNORECASE),
    ),
    AnswerType(
        "kloktijd",
        re.compile(r"\bopeningstijden\b|\bhoe laat\b|\bop welke tijd\b|\bbereikbaar\b.*\bwanneer\b"),
        re.compile(r"\b\d{1,2}[:.]\d{2}\b|\b\d{1,2}\s*uur\b", re.IGNORECASE),
    ),
    AnswerType(
        "datum",
        re.compile(r"\b(tot|vanaf|sinds) wanneer\b|^wanneer\b|\bwelke datum\b"),
        re.compile(rf"\b\d{{1,2}}\s+({MONTHS})\b|\b(19|20)\d{{2}}\b|\b({MONTHS}|{DAYS_AND_SEASONS})\b", re.IGNORECASE),
    ),
    AnswerType(
        "aantal",
        re.compile(r"\bhoeveel\b|\bhoe (groot|veel)\b|\bwelk (aantal|percentage)\b"),
        re.compile(r"\b(?!(?:19|20)\d\d\b)\d+|\b(twee|drie|vier|vijf|zes|zeven|acht|negen|tien|twaalf|twintig|honderd|duizend|miljoen|miljard)\b",
                   re.IGNORECASE),
    ),
    AnswerType(
        "plaats",
        re.compile(r"\bwaar (wordt|worden|is|zijn|zit|ligt|vindt)\b.*\b(gehouden|georganiseerd|plaats|gevestigd)\b"
                   r"|\bin welke (plaats|stad|zaal)\b|\bwelk adres\b|\bop welke locatie\b"),
        re.compile(r"\b(in|te)\s+(de\s+)?[A-Z][a-z]+|\b\d{4}\s?[A-Z]{2}\b|\b[A-Z][a-z]+(laan|straat|weg|plein)\b"),
    ),
    AnswerType(
        "persoon",
        re.compile(r"\bwie (is|was|wordt)\b.*\b(?P<role>voorzitter|minister|staatssecretaris|directeur|wethouder"
                   r"|burgemeester|informateur|formateur|ombudsman)\b|\bwelke (persoon|minister|wethouder)\b"),
        re.compile(r"\b[A-Z][a-zë]+\s+(van\s+(der\s+|de\s+)?)?[A-Z][a-zë]+\b"),
    ),
)


@dataclass(frozen=True)
class ExpectedAnswer:
    type: AnswerType
    role: str | None = None  # "wie is de voorzitter": the answer names the role too

    def held_by(self, sentence: str) -> bool:
        if self.role and self.role not in fold(sentence):
            return False
        return bool(self.type.evidence.search(sentence))


def expected_answer_types(question: str) -> list[ExpectedAnswer]:
    """The kinds of fact `question` asks for; several may apply ("hoeveel euro")."""
    folded = fold(question).strip()
    expected = [ExpectedAnswer(t, match.groupdict().get("role"))
                for t in ANSWER_TYPES if (match := t.question.search(folded))]
    if any(e.type.name == "bedrag" for e in expected):
        expected = [e for e in expected if e.type.name != "aantal"]  # an amount is the stricter number
    return expected
