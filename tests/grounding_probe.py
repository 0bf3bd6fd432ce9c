"""A probe of the grounding check: a scripted LLM answers with a real sentence of the passages it
was sent, faithful or altered, and the probe reads off whether the answer shows it.

The forms are the ways an LLM's claim can drift from its citation: a negation put in (or taken
out), a number changed, a clause appended, the actors swapped, a sentence invented without a
marker, and one meaning-bearing word changed: the modality, an antonym, a group or entity, a time
expression, a quantifier, or the longest word replaced by a word of another field that no list of
the check holds ("word replaced"). The word changes are this probe's own table (CHANGES), written as
an LLM would drift, apart from the grounding check's data. Shared by tests/llm/test_grounding_probe.py
(a few dev questions) and benchmarks/grounding_probe.py (the whole question set, a table per form).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.answering.citations import normalize_for_match
from assistant.answering.grounding import ACTORS, MARKERS, NEGATIONS
from assistant.answering.keywords import WORD, fold
from assistant.index.chunking import sentence_spans

# one meaning-bearing word changed: the first word of the sentence in the form's table is replaced
CHANGES = {
    "modality changed": {"moet": "kan", "moeten": "kunnen", "kunnen": "moeten", "kan": "moet", "wil": "hoeft",
                         "willen": "hoeven", "mag": "moet", "mogen": "moeten", "zal": "kan", "zullen": "kunnen"},
    "antonym": {"meer": "minder", "minder": "meer", "vroeg": "laat", "structureel": "tijdelijk",
                "structurele": "tijdelijke", "voldoende": "onvoldoende", "grote": "kleine", "groot": "klein",
                "hoge": "lage", "sterke": "zwakke", "betere": "slechtere", "goed": "slecht", "goede": "slechte",
                "nieuwe": "oude", "belangrijk": "onbelangrijk", "duidelijk": "onduidelijk",
                "eenvoudiger": "ingewikkelder", "lokale": "landelijke", "zeker": "onzeker", "gelijke": "ongelijke",
                "stijgt": "daalt"},
    "entity swapped": {"armoede": "criminaliteit", "jongeren": "ouderen", "ouderen": "jongeren",
                       "kinderen": "volwassenen", "wmo": "Jeugdwet", "schulden": "verslaving", "gezinnen": "bedrijven",
                       "jeugdhulp": "ouderenzorg", "participatiewet": "Omgevingswet", "onderwijs": "defensie",
                       "statushouders": "studenten", "mantelzorgers": "werkgevers"},
    "time changed": {"vanaf": "tot", "sinds": "tot", "langjarige": "eenmalige", "nu": "vroeger",
                     "structureel": "eenmalig", "jaarlijks": "eenmalig", "tot": "vanaf", "altijd": "soms"},
    "quantifier changed": {"alle": "sommige", "elke": "enkele", "veel": "weinig", "meeste": "enkele",
                           "iedereen": "sommigen", "ieder": "enkele"},
}
FORMS = ("faithful", "negated", "number changed", "clause added", "actors swapped", "unmarked invented", *CHANGES,
         "word replaced")
ALTERED = FORMS[1:]
# the forms every sentence can be put in; the others need a word of their own (an actor, a modal verb, ...)
ALWAYS_APPLIES = ("faithful", "negated", "number changed", "clause added", "unmarked invented", "word replaced")
# words of fields these documents do not cover, none of them in the check's lists
OTHER_FIELDS = ("luchtvaart", "visserijbeleid", "kernenergie", "defensiematerieel", "natuurbeheer", "spoorwegen")
CLAUSES = (
    ", en daarvoor trekt het rijk volgend jaar 7,5 miljard euro extra uit",
    ", zodat de wachtlijsten in de wijk binnen een jaar verdwenen zijn",
    ", waarbij zorgverzekeraars voortaan de regie over de wijkteams krijgen",
    ", maar alleen voor inwoners die ouder zijn dan vijfenzestig",
)
INVENTED = (
    "Gemeenten krijgen vanaf volgend jaar een vaste bijdrage per inwoner voor alle taken in het sociaal domein.",
    "De Wmo wordt volgens het voorstel volledig overgedragen aan de zorgverzekeraars.",
    "Inwoners met schulden krijgen automatisch een gratis advocaat van de gemeente.",
    "Het rijk belooft elke gemeente een eigen jongerenwerker per school.",
)
FINITE_VERBS = frozenset(
    "is zijn was waren kan kunnen moet moeten wil willen zal zullen wordt worden werd heeft hebben had "
    "vragen vraagt krijgen krijgt gaan gaat blijft blijven staat staan maakt maken zien ziet biedt bieden "
    "helpt helpen doen doet levert leveren draagt dragen".split())
SWAP = {"gemeenten": "het rijk", "gemeente": "het rijk", "rijk": "gemeenten", "kabinet": "gemeenten",
        "inwoners": "gemeenten", "inwoner": "gemeente", "wij": "het rijk", "we": "zij"}


def negated(sentence: str) -> str:
    """A negation taken out where there is one, else "niet" put after the first finite verb."""
    words = list(re.finditer(r"\w+", sentence))
    for word in words:
        if fold(word.group()) in NEGATIONS:
            replacement = "een" if fold(word.group()) == "geen" else ""
            return re.sub(r"\s{2,}", " ", sentence[:word.start()] + replacement + sentence[word.end():])
    for word in words:
        if fold(word.group()) in FINITE_VERBS:
            return sentence[:word.end()] + " niet" + sentence[word.end():]
    return "Het is niet zo dat " + sentence[0].lower() + sentence[1:]


def number_changed(sentence: str) -> str:
    """The first number raised by five (2026 -> 2031, 18 -> 23); without one, a year added."""
    match = re.search(r"\d+", sentence)
    if match:
        return sentence[:match.start()] + str(int(match.group()) + 5) + sentence[match.end():]
    body = sentence.rstrip(".!?:; ")
    return f"{body} vanaf 2031."


def clause_added(sentence: str, index: int) -> str:
    return sentence.rstrip(".!?:; ") + CLAUSES[index % len(CLAUSES)] + "."


def word_changed(sentence: str, changes: dict[str, str]) -> str | None:
    """The first word of the sentence that the table changes, changed (capitalised as it was);
    None when the sentence holds none."""
    for match in re.finditer(r"\w+", sentence):
        replacement = changes.get(fold(match.group()))
        if replacement:
            if match.group()[0].isupper():
                replacement = replacement[0].upper() + replacement[1:]
            return sentence[:match.start()] + replacement + sentence[match.end():]
    return None


def word_replaced(sentence: str, index: int) -> str:
    """The sentence's longest word replaced by a word of another field."""
    longest = max(re.finditer(r"\w+", sentence), key=lambda m: len(m.group()))
    return sentence[:longest.start()] + OTHER_FIELDS[index % len(OTHER_FIELDS)] + sentence[longest.end():]


def actors_swapped(sentence: str) -> str | None:
    """Two actors traded places, or the only actor replaced by another; None without an actor."""
    found = [m for m in re.finditer(r"\w+", sentence) if fold(m.group()) in ACTORS]
    distinct = {ACTORS[fold(m.group())] for m in found}
    if len(distinct) >= 2:
        first = found[0]
        second = next(m for m in found if ACTORS[fold(m.group())] != ACTORS[fold(first.group())])
        return (sentence[:first.start()] + second.group() + sentence[first.end():second.start()] + first.group()
                + sentence[second.end():])
    for match in found:
        replacement = SWAP.get(fold(match.group()))
        if replacement:
            return sentence[:match.start()] + replacement + sentence[match.end():]
    return None


def altered(form: str, sentence: str, index: int) -> str | None:
    """The claim the scripted LLM makes in `form` from `sentence`; None when the form does not apply."""
    if form == "faithful":
        return sentence
    if form == "negated":
        return negated(sentence)
    if form == "number changed":
        return number_changed(sentence)
    if form == "clause added":
        return clause_added(sentence, index)
    if form == "actors swapped":
        return actors_swapped(sentence)
    if form in CHANGES:
        return word_changed(sentence, CHANGES[form])
    if form == "word replaced":
        return word_replaced(sentence, index)
    return INVENTED[index % len(INVENTED)]


def best_sentence(passages: dict[int, str], gold_quotes: list[str]) -> tuple[int, str]:
    """The sentence of the sent passages that shares most words with a gold quote (the first
    sentence of passage 1 when none does)."""
    gold = [set(WORD.findall(fold(q))) for q in gold_quotes]
    best, best_share = (1, ""), -1.0
    for number, text in sorted(passages.items()):
        for start, end in sentence_spans(text):
            sentence = text[start:end].strip()
            words = set(WORD.findall(fold(sentence)))
            if len(words) < 4:
                continue
            share = max((len(words & g) / len(words) for g in gold), default=0.0)
            if share > best_share:
                best, best_share = (number, sentence), share
    return best


def scripted(form: str, gold_quotes: list[str], index: int, made: list[str]) -> Callable[[dict], list[str]]:
    """The stub's script: answer with the claim in `form`, word by word; `made` gets the claim."""
    from stub_llm import request_passages

    def script(request: dict) -> list[str]:
        passages = request_passages(request)
        number, sentence = best_sentence(passages, gold_quotes)
        claim = altered(form, sentence, index) if sentence else None
        if claim is None:
            made.append("")
            return ["Dat staat niet in de documenten die ik kan doorzoeken."]
        made.append(claim)
        text = claim if form == "unmarked invented" else with_marker(claim, number)
        return [word + " " for word in text.split(" ")]

    return script


def with_marker(claim: str, number: int) -> str:
    body = claim.rstrip(".!?:; ")
    return f"{body} [{number}]."


def lead(answer) -> str:
    """The LLM's part of an answer: the checked sentences above the passages answer."""
    return answer.text.split("\n\n", 1)[0] if answer.mode == "llm" else ""


def shown(claim: str, answer) -> bool:
    """Whether the answer shows the claim as the LLM made it (markers aside)."""
    target = normalize_for_match(claim.rstrip(".!?:; "))
    return any(normalize_for_match(MARKERS.sub("", line).strip().rstrip(".!?:; ")) == target
               for line in lead(answer).splitlines())
