"""Expected answer types: a question that asks for a specific kind of fact needs that fact.

Many questions the documents cannot answer are on topic: "hoeveel euro is die 2%?", "tot
wanneer kan ik de energietoeslag aanvragen?", "welk telefoonnummer heeft het loket?". Their
nearest passages are close in meaning, so no similarity threshold separates them. What separates
them is that the question asks for an amount, a date, a duration, a contact, a procedure, a
place or a person, and no retrieved sentence about the question's subject holds one: the classic
"expected answer type" check of question answering. The table below is read by question.py
(which facts a question asks for) and relevance.py (whether a sentence holds one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from ..types import ExpectedFact

MONTHS = r"januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december"
DAYS_AND_SEASONS = r"maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag|voorjaar|zomer|najaar|winter"
NUMBER_WORDS = (r"twee|drie|vier|vijf|zes|zeven|acht|negen|tien|elf|twaalf|twintig|dertig|veertig|vijftig"
                r"|honderd|duizend|miljoen|miljard")
ROLES = (r"voorzitter|minister|staatssecretaris|directeur|wethouder|burgemeester|informateur|formateur"
         r"|ombudsman|premier|kamerlid|gedeputeerde|commissaris|secretaris|woordvoerder|ambassadeur"
         r"|\w*hulpverlener|consulent|contactpersoon|klantmanager|casemanager")


@dataclass(frozen=True)
class AnswerType:
    name: str
    question: re.Pattern  # how a question asks for it (on folded text)
    evidence: re.Pattern  # what a sentence holding such a fact contains (on original text)


ANSWER_TYPES = (
    AnswerType(
        "bedrag",
        re.compile(r"\bhoeveel (euro|geld)\b|\bhoe (hoog|duur)\b|\bwat kost\b|\bkosten van een\b"
                   r"|\b(welk|het|om welk|over welk) bedrag\b|\bmaximale\b.*\b(bijdrage|bedrag|vergoeding)\b"
                   r"|\bper maand\b|\bhoeveel (krijg|betaal|kost)|\b(hoeveel|wat) bedraagt\b|\bhoogte van\b"
                   r"|\bwat is de hoogte\b|\b\w*grens\b.*\b(inkomen|vermogen|polis|toeslag|bijstand|regeling)"
                   r"|\b(inkomens|vermogens)grens\b|\btarief\b"
                   r"|\bhoeveel \w+( \w+)? (hij|zij|ze|ik|je|u|we|wij) (krijg|ontvang|betaal)"),
        re.compile(r"€|\beuro\b|\b\d+([.,]\d+)?\s*(miljoen|miljard)\b", re.IGNORECASE),
    ),
    AnswerType(
        "kloktijd",
        re.compile(r"\bopeningstijden\b|\bhoe laat\b|\bop welke tijd\b|\bbereikbaar\b.*\bwanneer\b"
                   r"|\bspreekuur\b|\bgeopend\b"),
        re.compile(r"\b\d{1,2}[:.]\d{2}\b|\b\d{1,2}\s*uur\b", re.IGNORECASE),
    ),
    AnswerType(
        "datum",
        re.compile(r"\b(tot|vanaf|sinds|per) wanneer\b|^wanneer\b|[.?!]\s*wanneer\b|\bwelke datum\b"
                   r"|\bin welk jaar\b|\bop welke dag\b"
                   r"|\bwanneer (is|wordt|komt|gaat|start|begint|moet|zijn)\b.*\?$"
                   r"|\b(vraagt|vragen|weten|weet)\s+(tot |vanaf |sinds )?wanneer\b|\bwanneer (wordt|worden|treedt)\b"
                   r"|\bin werking\b"
                   # asked in English: the documents are Dutch, the fact they hold is the same
                   r"|\b(in )?which year\b|\bwhat date\b|^when\b|\bwhen (did|was|were|will|does|do|is)\b"),
        re.compile(rf"\b\d{{1,2}}\s+({MONTHS})\b|\b(19|20)\d{{2}}\b|\b({MONTHS}|{DAYS_AND_SEASONS})\b", re.IGNORECASE),
    ),
    AnswerType(
        "duur",
        re.compile(r"\bhoe lang\b|\bhoeveel (tijd|(werk)?dagen|weken|maanden)\b|\bwachttijd\b|\bbinnen hoeveel\b"),
        # a length of time ("binnen acht weken", "twee werkdagen"); an age ("18 jaar worden") is none
        re.compile(rf"\b(\d+|een|half|halve|{NUMBER_WORDS})\s+"
                   r"((werk)?dag|(werk)?dagen|(werk)?week|(werk)?weken|maand|maanden|jaar|jaren|uur|kwartaal)\b"
                   r"(?!\s+(oud|worden|wordt|werd|geworden)\b)", re.IGNORECASE),
    ),
    AnswerType(
        "aantal",
        re.compile(r"\bhoeveel\b|\bhoe (groot|veel|vaak)\b|\bwelk (aantal|percentage|deel|aandeel)\b"
                   r"|\bhow (many|much|often)\b|\bwhat (share|percentage|proportion|number|part) of\b"),
        re.compile(rf"\b(?!(?:19|20)\d\d\b)\d+|\b({NUMBER_WORDS})\b", re.IGNORECASE),
    ),
    AnswerType(
        "artikel",  # a law's article: "welk artikel van de AVG", "which article"
        re.compile(r"\bwelk (wets)?artikel\b|\bwhich article\b|\bartikelnummer\b"),
        re.compile(r"\bart(ikel|\.)\s*\d+", re.IGNORECASE),
    ),
    AnswerType(
        "contact",
        re.compile(r"\btelefoonnummer|\bwelk (nummer|adres)\b|\badres\b|\be-?mail ?adres|\bwebsite\b|\bwebadres\b"
                   r"|\bnaar welk nummer\b|\bbellen\b.*\bnummer\b"
                   # written in a hurry: "tel.nr", "telnr", "tel. nummer", "telefoonnr", "mailadres"
                   r"|\btel\.? ?(nr|nummer)\b|\btelnr\b|\btelefoonnr\b|\bmailadres\b"),
        re.compile(r"\b0\d{1,3}[- ]?\d{6,8}\b|\b0800\b|@|\bwww\.|https?://|\b\w+\.nl\b", re.IGNORECASE),
    ),
    AnswerType(
        "procedure",
        re.compile(r"\bhoe\b.{0,40}\b(kan|moet|kun|kunt|mag)\b.*"
                   r"\b(aanvragen|aanmelden|inschrijven|opzeggen|indienen|melden|verlengen|vervangen)\b"
                   r"|\bhoe (vraag|vraagt|vragen)\b.*\baan\b|\bhoe\b.*\bbezwaar (maken|indienen)\b"
                   r"|\bhoe vraag\b|\bwaar (kan|moet|kun)\b.*\b(aanvragen|aanmelden|inschrijven|indienen)\b"
                   r"|\bwelk formulier\b|\bwelke (formulieren|documenten|papieren) (heb|moet|nodig)"
                   # how to apply, asked by the channel: "aanvragen ... langskomen of online met DigiD?"
                   r"|(?=.*\b(aanvra\w*|aanmeld\w*|inschrijv\w*))"
                   r".*\b(online|digid|langs ?komen|langsgaan|telefonisch|per post)\b"),
        re.compile(r"\baanvra(ag|gen)|\baanmeld|\binschrijv|\bformulier|\bloket\b|\bdigid\b|\bindienen\b",
                   re.IGNORECASE),
    ),
    AnswerType(
        "plaats",
        re.compile(r"\bwaar (wordt|worden|is|zijn|zit|ligt|vindt)\b"
                   r".*\b(gehouden|georganiseerd|plaats|gevestigd|kantoor)\b"
                   r"|\bin welke (plaats|stad|zaal|gemeente)\b|\bop welke locatie\b|\bwaar zit\b"
                   r"|\bwaar (moet|moeten|kan|kunnen)\b.*\bheen\b|\bnaar welk (loket|kantoor)\b"),
        re.compile(r"\b(in|te)\s+(de\s+)?[A-Z][a-z]+|\b\d{4}\s?[A-Z]{2}\b|\b[A-Z][a-z]+(laan|straat|weg|plein)\b"),
    ),
    AnswerType(
        "persoon",
        re.compile(rf"\bwie (is|was|wordt|zijn|waren)\b.*\b(?P<role>{ROLES})\b(\s+van\s+(de\s+|het\s+)?(?P<of>[\w-]+))?"
                   rf"|\bwelke (persoon|{ROLES})\b"
                   rf"|\bhoe heet (de|het)\b.*\b(?P<named>{ROLES})\b"),
        re.compile(r"\b[A-Z][a-zë]+\s+(van\s+(der\s+|de\s+)?|de\s+)?[A-Z][a-zë]+\b"),
    ),
    AnswerType(
        "namen",
        re.compile(r"\bwelke (gemeenten|leden|partijen|provincies|wethouders|ministers)\b"
                   r"(?!.*\b(taken|rol|rollen|verantwoordelijkheid|moeten|kunnen)\b)"),
        re.compile(r"\b[A-Z][\w-]*,\s+(de\s+)?[A-Z][\w-]*\b"),  # a list of names: "G4, G40, M50"
    ),
)
BY_NAME = {t.name: t for t in ANSWER_TYPES}
STRICTER = {"bedrag": "aantal", "duur": "aantal"}  # an amount or a duration is the stricter number


def expected_facts(folded_question: str) -> tuple[ExpectedFact, ...]:
    """The kinds of fact a (folded) question asks for; several may apply ("hoeveel euro")."""
    found = []
    for answer_type in ANSWER_TYPES:
        match = answer_type.question.search(folded_question)
        if match:
            groups = match.groupdict()
            found.append(ExpectedFact(answer_type.name, groups.get("role") or groups.get("named"), groups.get("of")))
    names = {f.name for f in found}
    return tuple(f for f in found if not any(STRICTER.get(n) == f.name for n in names))


def asking_clauses(folded_question: str) -> list[str]:
    """The clauses that ask for a fact ("welk deel van de zorgbegroting ..." of "welk deel ...
    willen ze verschuiven, en waarvoor moet dat geld?"): their words are what the fact must stand
    beside; none when no clause asks for one."""
    bounds = [0, *(m.end() for m in CLAUSE_BREAK.finditer(folded_question)), len(folded_question)]
    clauses = [folded_question[begin:end] for begin, end in pairwise(bounds) if begin < end]
    return [clause for clause in clauses if any(t.question.search(clause) for t in ANSWER_TYPES)]


# where a question's clauses part: a sentence end, or "en" before a new question word
CLAUSE_BREAK = re.compile(r"[?!.;]\s+|,?\s+en\s+(?=(?:wat|wie|waar\w*|hoe|hoeveel|welk\w*|wanneer|uit|van|in|met"
                          r"|bij|aan|sinds|tot|vanaf|om|what|which|who|how|when|where)\b)")

PERSON_NAME = r"[A-Z][a-zë]+\s+(?:(?:van|de|der|den)\s+)*[A-Z][a-zë]+"
ROLE_DISTANCE = 40  # characters between a role and the name of who holds it ("voorzitter Jan de Vries")


def holds(fact: ExpectedFact, sentence: str, folded_sentence: str) -> bool:
    """Whether `sentence` holds a fact of that kind; a role the question asks about ("wie is de
    voorzitter") must stand next to a person's name."""
    if fact.role:
        if fact.role not in folded_sentence:
            return False
        if fact.of and not re.search(rf"\b{fact.role}\s+van\s+(de\s+|het\s+)?{re.escape(fact.of)}\b"
                                     rf"|\b{re.escape(fact.of)}-?{fact.role}", folded_sentence):
            return False  # "voorzitter van de SER" does not answer "voorzitter van de VNG"
        near = (rf"(?i:{fact.role}).{{0,{ROLE_DISTANCE}}}{PERSON_NAME}"
                rf"|{PERSON_NAME}.{{0,{ROLE_DISTANCE}}}(?i:{fact.role})")
        return re.search(near, sentence) is not None
    return bool(BY_NAME[fact.name].evidence.search(sentence))
