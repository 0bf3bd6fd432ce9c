"""The question, read once: what it asks, in which words, about what, and what it must not be.

`check_question` refuses what cannot be asked (empty, too long) with a Dutch message;
`QuestionReader.read` turns the rest into a `Question` (types.py) that every later stage reads:
its stems and distinctive focus words, the vocabulary's everyday cues and their expansion into
the documents' terms, its language, its intent (a definition, a list of points, a reason), the
kind of section that answers it (what municipalities do, what is asked of the rijk, the problem),
the kinds of fact it asks for (answer_types.py), and the names in it that no document contains,
with whether the question asks about such a name or only mentions it ("mevrouw Jansen uit
Zwolle" is context; "minister Verhoeven" and "wie is X" are the subject), and what a phrase in
quotes is: a phrase to look up, a document's title, or a resident's own words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rapidfuzz import fuzz

from ..privacy import without_placeholders
from ..types import ExpectedFact, FactAsk, Intent, Question, QuoteRole, Role, SectionKind, Turn
from .answer_types import asking_clauses, expected_facts
from .keywords import WORD, DutchKeywordIndex, fold, looks_dutch, plain, quoted_phrase, word_stems
from .prompts import EMPTY_QUESTION, QUESTION_TOO_LONG
from .vocabulary import DomainVocabulary, terms

FOCUS_MAX_SHARE = 0.2  # a focus word is in at most this share of the passages
FIRST_PERSON = frozenset("ik mijn me mij we wij ons onze".split())
# Words that phrase a question rather than say what it is about ("Sanne vraagt of ...", "de zin
# over ...", "waar staat ...", "wat is de strekking, de letterlijke formulering?", "welk deel",
# "hoeveel procent": the kind of fact, not its subject): never its focus, never an unknown subject.
ASKING_WORDS = frozenset("""vraag vraagt vragen vroeg weten weet wil willen wilt laten laat haar hem hen zin zinnen
passage passages citaat citeer citeren bron bronnen staat stond staan tekst stuk stukken document documenten
propositie iets iemand via per den erover daarover hierover precies graag eigenlijk soms ergens nergens ongeveer
ding dingen zaak zaken manier heen terecht zeggen zegt zei vertellen vertelt noemen noemt alweer
strekking letterlijk letterlijke precieze formulering vindplaats aanhalen citaten pagina paginanummer alinea
deel aandeel percentage procent aantal welk welke volgens tussen pamflet artikel webpagina webartikel""".split())
# "hoe groot is ...", "hoe lang duurt ...": the kind of fact asked for, not its subject
HOW_MUCH = re.compile(r"\bhoe\s+(?:groot|grote|hoog|hoge|lang|lange|oud|oude|duur|klein|breed|zwaar)\b", re.IGNORECASE)
# A lookup that names its topic instead of quoting: "de passage over ...", "iets met ...", "waar
# staat de zin over ...?"
TOPIC_LOOKUP = re.compile(r"^(?:(?:waar (?:staat|stond)|ik zoek|zoek)\s+)?(?:(?:de|het|een)\s+)?"
                          r"(?:zin|zinnen|passage|citaat|alinea|tekst|stuk|iets)\s+(?:over|met)\s+(?P<topic>.+)$")
# ... or names what it says: "waar stond ook alweer dat gemeenten geen uitvoeringsloket zijn?",
# "welk document zei dat ..."
CLAIM_LOOKUP = re.compile(r"\b(?:waar (?:staat|stond)|in welk(?:e)? (?:stuk|document)\w* (?:staat|stond)"
                          r"|welk(?:e)? (?:stuk|document)\w* (?:zei|zegt|schreef|schrijft|noemt|noemde))"
                          r"(?: (?:er|het|ook|alweer|nou|nu|precies|letterlijk))*,? dat"
                          # "dat" as the pronoun ("waar stond dat ook alweer?", "... staat dat en welke ...")
                          r" (?!(?:ook|en|of|nou|nu|dan|toch|er|precies|letterlijk|alweer)\b)"
                          r"(?P<claim>\w+(?: \w+){2,})")
# "wat verstaan VNG en Divosa onder preventie?": who means something is not what is asked about;
# searched as "wat verstaan ze onder preventie?" (the authors' names pulled in the colophon). Only
# for meaning: in "wat vindt de SER van ..." the speaker may be what is looked for.
SPEAKER = re.compile(r"\bwat\s+(?P<asking>(?:bedoel|versta|verstond)\w*)\s+"
                     r"(?P<speaker>(?:[^\s?]+\s+){1,5}?)(?P<relation>met|onder)\b", re.IGNORECASE)
# "noem drie dingen die ...", "geef me vijf voorbeelden van ...": how many is the answer's form, not
# its subject ("drie" pulled in "Die drie ambities zijn nauw met elkaar verbonden")
COUNT = re.compile(r"\b(?P<asking>noem|geef(?:\s+me|\s+mij)?)\s+(?:eens\s+)?"
                   r"(?:twee|drie|vier|vijf|zes|zeven|acht|negen|tien|\d{1,2})\b", re.IGNORECASE)
# "op het thema bestaanszekerheid": the theme is the subject, the word "thema" only frames it (it
# pulled in the overview "Thema's: bestaanszekerheid, kansengelijkheid en gezond samenleven")
THEME = re.compile(r"\b(?:op|bij|binnen|onder|over|voor|rond)\s+het\s+thema\b", re.IGNORECASE)
# Who says what the question asks about, and where ("volgens de propositie", "wat verstaan VNG en
# Divosa onder ...", "welke cijfers noemt het pamflet"): the question's frame, not its subject. Those
# names stand in the documents' headers, acknowledgements and summaries, whose passages they pulled in
# before the subject's. "willen" is left: "de VNG en Divosa willen ..." is how the texts state an aim.
PUBLISHER = (r"(?:(?:de|het|die|dit|deze)\s+)?(?:vng(?:-stukken)?|divosa|propositie|pamflet|artikel|stukken|stuk)"
             r"(?:\s+(?:en|of)\s+(?:divosa|gemeenten|de\s+vng|het\s+pamflet))?")
REPORTING = (r"(?:noemt|noemen|noemde|zegt|zeggen|vraagt|vragen|verstaan|verstaat|bedoelt|bedoelen|stelt|stellen|"
             r"zag|ziet|zien|pleit|pleiten|onderbouwt|beschrijft|beschrijven|verwijst|verwijzen|baseert|baseren)")
SOURCE_FRAME = re.compile(rf"\bvolgens\s+{PUBLISHER}\b|\bin\s+(?:de|het)\s+(?:propositie|pamflet|artikel|stuk)\b"
                          rf"|\b(?P<reporting>{REPORTING})\s+{PUBLISHER}\b|\b{PUBLISHER}(?=\s+{REPORTING}\b)",
                          re.IGNORECASE)
SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+")
# A question about a source, a report, a publication: the only kind a bibliography entry answers.
# "de propositie" and "de stukken" are mostly the scope of a question ("wat zegt de propositie over
# armoede?"), so they make it one about a source only when it asks for a date ("uit welk jaar is de
# vorige propositie?"): else a bibliography line "VNG, '... propositie ...' (2023)" was an answer
ABOUT_SOURCES = re.compile(r"\b(bron\w*|rapport\w*|publicatie\w*|onderzoek\w*|titel|verschenen|nota|advies\w*"
                           r"|brief|akkoord\w*)\b")
SCOPE_SOURCES = re.compile(r"\b(propositie\w*|stuk|stukken|document\w*|pamflet\w*)\b")
WHICH_YEAR = re.compile(r"\b(in|uit|van) welk jaar\b")
# A question that asks where a passage stands ("in welk stuk staat dat?", "waar stond dat ook
# alweer?", "welk document zei ..."): the answer names the document and section ("waar staat de
# VNG voor?" asks what it stands for, not where)
ASKS_WHERE = re.compile(r"\bwaar (?:staat|stond|stonden|staan|was|kwam|komt)\b(?!.*\bvoor\W*$)"
                        r"|\b(?:in|uit) welk(?:e)? (?:stuk|stukken|document|documenten|deel|hoofdstuk|paragraaf"
                        r"|artikel|pamflet|publicatie)\b|\bwelk(?:e)? (?:stuk|document)\b|\bvindplaats\b")

# A quote is a document's title when a publication's name stands right before it ("in het pamflet
# 'Investeer in de samenleving'") or it is most of a title; someone's own words when it is said
# ("zegt mevrouw", "is boos:") or speaks in the first or second person, and the question does not
# ask where it stands; otherwise it is a phrase to look up.
PUBLICATION_BEFORE = re.compile(r"\b(?:pamflet|pagina|webpagina|propositie|document|stuk|rapport|notitie|nota|brief"
                                r"|artikel|webartikel|publicatie|titel|kop)\s*:?\s*$")
PUBLICATION_AFTER = re.compile(r"\s*\((?:19|20)\d{2}\)")  # "'Stand van de Uitvoering' (2023)": a source's title
SPOKEN = re.compile(r"\b(?:zegt|zei|zeggen|vraagt|vroeg|roept|schrijft|mailt|belt|klaagt|boos|bang|vindt)\b|:\s*$")
SPEAKING_WORDS = frozenset("ik mijn me mij we wij ons onze je jij jou jouw u uw".split())
LOOKING_UP = re.compile(r"\b(?:citaat|citeren|citeer|letterlijk\w*|zin|passage|tekst|formulering|vindplaats"
                        r"|staat|stond|staan|stonden)\b")
# "... zegt 'vanwege de AVG'. Wat staat daarover in de propositie?": what the documents say about
# the subject, not whether they hold the quote
ABOUT_IT = re.compile(r"\bwat (?:staat|stond|staan|stonden) (?:er )?(?:daar|er|hier)over\b")
TITLE_MATCH = 90  # rapidfuzz partial_ratio (0-100) from which a quoted phrase is a document's title
TITLE_MIN_WORDS = 2


def titled(phrase: str, title: str) -> bool:
    """Whether a quoted phrase is the title (or most of it) of a document."""
    return len(phrase.split()) >= TITLE_MIN_WORDS and fuzz.partial_ratio(plain(phrase), plain(title)) >= TITLE_MATCH


def quote_role(text: str, phrase: str, asks_where: bool, titles: tuple[str, ...]) -> QuoteRole:
    """What the quoted phrase is to the question: a title, someone's own words, or a lookup."""
    if not phrase:
        return QuoteRole.NONE
    start = text.find(phrase)
    before, after = fold(text[:max(0, start - 1)]), fold(text[start + len(phrase) + 1:])
    if PUBLICATION_BEFORE.search(before) or PUBLICATION_AFTER.match(after) or any(titled(phrase, t) for t in titles):
        return QuoteRole.TITLE
    if asks_where or LOOKING_UP.search(ABOUT_IT.sub(" ", fold(text.replace(phrase, " ")))):
        return QuoteRole.LOOKUP
    sentence_before = re.split(r"(?<=[.!?])\s+", before)[-1]
    said = (SPOKEN.search(sentence_before) or SPOKEN.match(after.lstrip(" ,"))
            or SPEAKING_WORDS & set(WORD.findall(fold(phrase))))
    return QuoteRole.WORDS if said else QuoteRole.LOOKUP


INTENTS = (  # first match wins; on folded text
    (Intent.REASON, re.compile(r"\bwaarom\b|\bhoe komt het\b|\bwat is de reden\b")),
    (Intent.DEFINITION, re.compile(
        r"^(en )?wat (is|zijn|betekent|betekenen|bedoel\w*|houdt|verstaan)\b|\bwat wordt (er )?bedoeld met\b"
        r"|\bwat moet ik verstaan onder\b|\bwat houdt\b.*\bin\b|\bwat betekent\b")),
    (Intent.POINTS, re.compile(
        r"\bwelke\b|\bnoem\b|\bopsomming\b|\bin (een paar|enkele) punten\b|\bpunten\b|\bsamenvat|\bsamengevat\b"
        r"|\blijst(je)?\b|\bop een rij\b|\boverzicht\b|\bspeerpunten\b|\bthema'?s\b|\bmanieren\b"
        r"|\bper (onderdeel|thema|punt|lijn|groep)\b"
        r"|\bin (het kort|grote lijnen)\b|\bwat (zijn|waren) de\b")),
)
WANTS = (  # on folded text; a question may want several kinds of section
    (SectionKind.RIJK, re.compile(
        r"\b(van|aan|met) het rijk\b|\bhet rijk (moet|moeten|kan|zou|doet)\b|\bkabinet\b|\bministerie\b"
        r"|\bwat (vraagt|vragen|wil|willen|wensen|stelt|stellen)\b.*\b(vng|gemeenten|divosa|ze|zij|men)\b"
        r"|\b(vng|gemeenten|divosa)\b.*\b(vragen|vraagt|willen|wil|wensen|stellen voor|stelt voor)\b"
        r"|\bafspraken\b")),
    (SectionKind.MUNICIPALITY, re.compile(
        r"\bgemeente(n)?\b.*\b(doe|doen|doet|helpen|helpt|bieden|biedt|ondersteun\w*|aanpak\w*|regel\w*|investe\w*)\b"
        r"|\b(kan|kunnen|doet|doen|helpt|helpen|biedt|bieden|gaat|zal)\b.*\bgemeente(n)?\b"
        r"|\bwat doen (we|wij)\b|\bhelpen\b|\bhulp\b|\bondersteuning\b")),
    (SectionKind.PROBLEM, re.compile(
        r"\bwaarom\b|\bprobleem\b|\bproblemen\b|\bknelpunt|\bpijnpunt|\baanleiding\b|\bhoe komt het\b"
        r"|\bwat gaat (er )?mis\b|\blastig\b|\bmoeilijk\b|\beerlijk\b")),
)
# Titles that make a name the subject of the question: a public role, or an institution.
PUBLIC_TITLES = frozenset("""minister staatssecretaris wethouder burgemeester informateur formateur kamerlid premier
gedeputeerde commissaris partij fractie voorzitter directeur ombudsman rapport wet regeling programma
ministerie commissie instituut""".split())
# Words after which a name is the asker's context: who they are, where they live or come from.
# The people of a resident's story ("mijn buurvrouw", "een meneer aan de balie")
STORY_PEOPLE = frozenset("""mevrouw meneer mw mevr dhr heer familie fam buurvrouw buurman moeder vader zoon dochter
oma opa zus broer tante oom vriend vriendin cliënt client inwoner""".split())
CONTEXT_WORDS = STORY_PEOPLE | frozenset("uit in te naar bij gemeente dorp stad wijk straat".split())
# "wie is X", "wat vindt X", "volgens X", "over (de) X", "welke ... vragen ze aan X": X is the subject
ASKS_ABOUT = re.compile(
    r"\bwie (is|was|zijn|waren)\s+(?P<a>\S+)"
    r"|\bwat (vindt|vond|zegt|zei|denkt|dacht|wil|vinden|zeggen)\s+(de\s+|het\s+)?(?P<b>\S+)"
    r"|\bvolgens\s+(de\s+|het\s+)?(?P<c>\S+)|\bover\s+(de\s+|het\s+)?(?P<d>\S+)"
    r"|\bwat (is|zijn|betekent|houdt)\s+(de\s+|het\s+|een\s+)?(?P<e>\S+)"
    r"|\bhoe (reageert|reageerde|staat)\s+(de\s+|het\s+)?(?P<f>\S+)"
    r"|\b(?:wat|welke?\s+\w+)\s+(?:vragen|vraagt|vroeg|vroegen)\b[^?]*?\baan\s+(de\s+|het\s+)?(?P<g>\S+)")
# "wat is de rol van X", "wat is het adres van X": what follows the subject's place is asked of X
OF = re.compile(r"\s+van\s+(?:(?:de|het|een)\s+)?(?P<object>\S+)")
SUBJECT_PUNCTUATION = "?.,!'\""  # stripped from a word in the subject's place


class BadQuestion(ValueError):
    """A question that cannot be asked; the message is Dutch, for the user."""


def check_question(question: object, limit: int) -> str:
    """The question without control characters and outer whitespace, or BadQuestion."""
    if not isinstance(question, str):
        raise BadQuestion(EMPTY_QUESTION)
    cleaned = "".join(ch for ch in question if ch.isprintable() or ch in "\n\t").strip()
    if not cleaned:
        raise BadQuestion(EMPTY_QUESTION)
    if len(cleaned) > limit:
        raise BadQuestion(QUESTION_TOO_LONG.format(length=len(cleaned), limit=limit))
    return cleaned


# A question that says it changes the subject ("Iets anders: ...", "Een andere vraag: ...")
NEW_TOPIC = re.compile(r"^\W*(?:iets anders|(?:een )?andere? (?:onderwerp|vraag)|nieuwe vraag|los daarvan"
                       r"|nog een (?:andere )?vraag)\b")
# What points back into the conversation: "daar", "ook", "hun bron", "En ...?", a demonstrative at
# the start of a clause or after a preposition or a verb ("over die regeling", "moet dat geld"; not
# "rekeningen die hij ..."),
# and "hij" or "ze" in a question that names no person of its own
POINTS_BACK = re.compile(r"\b(?:daar\w*|hier(?:van|over|bij|mee|voor|in|aan|op|door)|dezelfde|zo'n|hun|ook|nog"
                         r"|eerder\w*|vorige|genoemde|ervan|erover|zoiets|simpeler|korter|uitleggen|bedoel\w*)\b"
                         r"|^\W*(?:en|maar|of|dus|nee)\b"
                         r"|(?:^|[.?!:;,]\s*|\b(?:van|over|bij|voor|met|in|op|aan|om|uit|door|naar|is|zijn|was|wordt"
                         r"|worden|moet|moeten|kan|kunnen|mag|mogen|wil|willen|zal|zullen|heeft|hebben|gaat|gaan|doet"
                         r"|doen|krijgt|krijgen|komt|komen)\s+)(?:dat|die|dit|deze)\b")
WHICH = re.compile(r"\bwelke?\s+(\w+)")  # "welke partijen", "in welk jaar": the kind the answer names
REFERRING = re.compile(r"\b(?:die|dat|deze|dit)\s+(\w+)")  # "die groep", "dat bedrag": in a follow-up
PERSONAL_PRONOUNS = re.compile(r"\b(?:hij|zij|ze|hem|hen)\b")
STANDALONE_MIN_WORDS = 7


def wanted_sections(folded_question: str, resident_story: bool) -> tuple[SectionKind, ...]:
    """The kinds of section that answer the question; a resident's story that asks for none gets
    what municipalities do first (the help before the problem it describes)."""
    wants = tuple(kind for kind, pattern in WANTS if pattern.search(folded_question))
    return wants or ((SectionKind.MUNICIPALITY,) if resident_story else ())


def starts_new_topic(question: str) -> bool:
    """Whether a question in a conversation is about a subject of its own: it says so ("Iets
    anders: ..."), or it is a complete question that points back at nothing."""
    folded = fold(question).strip()
    if NEW_TOPIC.search(folded):
        return True
    words = WORD.findall(folded)
    names_a_person = any(word in STORY_PEOPLE for word in words) or any(
        word[0].isupper() for sentence, found in _sentences(question) for word in found[1:])
    return (len(words) >= STANDALONE_MIN_WORDS and not POINTS_BACK.search(folded)
            and (names_a_person or not PERSONAL_PRONOUNS.search(folded)))


def follow_up_text(question: str, history: tuple[Turn, ...]) -> str:
    """Without an LLM, a follow-up carries its topic through the previous user question; one that
    points at a point of the previous answer ("dat laatste punt", "het tweede niveau") carries
    that point instead; a question that starts a new topic carries none."""
    pointed = pointed_item(question, history)
    if pointed:
        return f"{pointed} {question}".strip()
    if starts_new_topic(question):
        return question.strip()
    earlier = [t.content for t in history if t.role == Role.USER and t.content.strip()]
    return " ".join(earlier[-1:] + [question]).strip()


ORDINALS = {"eerste": 0, "tweede": 1, "derde": 2, "vierde": 3, "vijfde": 4, "zesde": 5, "zevende": 6,
            "achtste": 7, "laatste": -1}
POINTED = re.compile(rf"\b(?:dat|die|het|de|dit|deze)\s+(?P<ordinal>{'|'.join(ORDINALS)}|middelste)\s+\w+")
ANSWER_MARKS = re.compile(r"\[\d+\]|\(\s*[\w.-]+\.(?:txt|md|pdf|docx)\s*\)")
BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def pointed_item(question: str, history: tuple[Turn, ...]) -> str:
    """The point of the previous answer a follow-up points at by its place; "" when it points at
    none (or the previous answer has no points)."""
    match = POINTED.search(fold(question))
    answers = [t.content for t in history if t.role == Role.ASSISTANT and t.content.strip()]
    if not match or not answers:
        return ""
    items = answer_items(answers[-1])
    if len(items) < 2:
        return ""
    ordinal = match.group("ordinal")
    index = len(items) // 2 if ordinal == "middelste" else ORDINALS[ordinal]
    return items[index] if -len(items) <= index < len(items) else ""


def answer_items(answer: str) -> list[str]:
    """The points of an answer: its bullets or lines, else the list after its colon ("zijn dat: a,
    b en c")."""
    text = ANSWER_MARKS.sub("", answer)
    lines = [BULLET.sub("", line).strip() for line in text.splitlines() if line.strip()]
    bullets = [line for line in text.splitlines() if BULLET.match(line)]
    if len(bullets) >= 2:
        return [BULLET.sub("", line).strip() for line in bullets]
    if len(lines) >= 2:
        return lines
    listed = text.rsplit(":", 1)[-1] if ":" in text else ""
    return [item.strip(" .") for item in re.split(r",|;|\s+en\s+", listed) if item.strip(" .")]


def as_searched(text: str) -> str:
    """The question without the one whose meaning it asks for ("wat bedoelen VNG en Divosa met X"
    -> "wat bedoelen ze met X"), without the word that frames a theme ("op het thema X" -> "over
    X") and without how many points it wants ("noem drie dingen die X" -> "noem dingen die X"):
    retrieval and composition then look for X."""
    searched = SPEAKER.sub(lambda m: f"wat {m['asking']} ze {m['relation']}", text, count=1)
    searched = THEME.sub("over", searched)
    return COUNT.sub(lambda m: m["asking"], searched, count=1)


def without_source_frame(text: str) -> str:
    """The question without who says it and where (SOURCE_FRAME): "wat verstaan VNG en Divosa in de
    propositie onder de sociale basis?" -> "wat verstaan onder de sociale basis?"."""
    return " ".join(SOURCE_FRAME.sub(lambda m: f" {m['reporting'] or ''} ", text).split())


def about_sources(folded_question: str, expected: tuple[ExpectedFact, ...]) -> bool:
    """Whether the question asks about a source (a report, its title, when it appeared)."""
    if ABOUT_SOURCES.search(folded_question):
        return True
    asks_when = any(fact.name == "datum" for fact in expected) or WHICH_YEAR.search(folded_question)
    return bool(SCOPE_SOURCES.search(folded_question) and asks_when)


def lookup_topic(folded_question: str) -> str:
    """What a lookup names ("de passage over windmolens" -> "windmolens"); "" for other questions."""
    match = TOPIC_LOOKUP.search(folded_question.rstrip("?.! "))
    return match.group("topic") if match else ""


def lookup_claim(folded_question: str) -> str:
    """What a lookup says a passage says ("waar stond dat gemeenten ... zijn?" -> "gemeenten ... zijn")."""
    match = CLAIM_LOOKUP.search(folded_question.rstrip("?.! "))
    return match.group("claim") if match else ""


class QuestionReader:
    """Reads questions against the documents' vocabulary (which words are known, which rare)."""

    def __init__(self, keywords: DutchKeywordIndex, vocabulary: DomainVocabulary | None,
                 titles: tuple[str, ...] = ()):
        self.keywords = keywords
        self.vocabulary = vocabulary
        self.titles = titles  # the documents' titles: a quoted title is no lookup
        self.asking_stems = frozenset(word_stems(" ".join(ASKING_WORDS)))

    def read(self, text: str, history: tuple[Turn, ...] | list[Turn] = (), rewritten: str = "") -> Question:
        """`rewritten`: an LLM's stand-alone version of a follow-up, which retrieval then searches."""
        history = tuple(history)
        asked = text
        text = without_placeholders(text)  # "[BSN]" stands for what was left out: no word to read
        folded = fold(text).strip()
        new_topic = bool(history) and starts_new_topic(text)
        own_wants = wanted_sections(folded, False)  # the kinds of section it names in its own words
        pivots = bool(history) and not new_topic and bool(own_wants)
        retrieval_text = as_searched(without_placeholders(rewritten or follow_up_text(text, history)))
        unframed = without_source_frame(retrieval_text)
        searched = unframed if self.focus(unframed) else retrieval_text  # the frame only when it is all
        entries = self.vocabulary.matches(retrieval_text) if self.vocabulary else []
        expansion = terms(entries)
        stems = frozenset(word_stems(text))
        unknown = self.unknown_names(text)
        first_person = any(w in FIRST_PERSON for w in WORD.findall(folded))
        story = first_person or bool(STORY_PEOPLE & set(WORD.findall(folded)))  # a resident's own story
        intent = next((intent for intent, pattern in INTENTS if pattern.search(folded)), Intent.GENERAL)
        expected = expected_facts(folded)
        asks_where = bool(ASKS_WHERE.search(folded))
        phrase = quoted_phrase(text)
        role = quote_role(text, phrase, asks_where, self.titles)
        focus, topic_focus = self.focus(text), self.focus(retrieval_text)
        carried = topic_focus - focus  # a follow-up's fact may be about its topic
        # Words that need not stand beside the fact: the kind the answer names ("welke partijen
        # hebben het GALA ondertekend?": the sentence names parties, not the word) and in a follow-up
        # the noun it points back with ("hoe groot is dat verband?": the topic's words stand for it).
        # A follow-up's clause with no words of its own is about the topic, another about the question's.
        named = frozenset(word_stems(" ".join(WHICH.findall(folded)
                                              + (REFERRING.findall(folded) if history else []))))
        fact_asks = tuple(FactAsk(expected_facts(clause), (self.focus(clause) - named or (
            frozenset() if history else focus)) | carried) for clause in asking_clauses(folded)) or (
            (FactAsk(expected, (focus - named) | carried),) if expected else ())
        return Question(
            text=asked, history=history, retrieval_text=retrieval_text, searched=searched, stems=stems,
            focus=focus, topic_focus=topic_focus, fact_asks=fact_asks,
            cues=tuple(" ".join(e.key) for e in entries), expansion=expansion,
            expansion_stems=frozenset(word_stems(expansion)), dutch=looks_dutch(text), intent=intent,
            # a follow-up that names the kind it wants now ("en wat vragen ze van het rijk?") wants
            # that, not the kind of the question it follows ("wat doen gemeenten aan ...?")
            wants=own_wants if pivots else wanted_sections(fold(retrieval_text), story),
            pivots=pivots,
            expected=expected, unknown_names=tuple(unknown),
            unknown_words=tuple(self.unknown_words(text, entries)),
            asks_about_name=self.asks_about(text, unknown, first_person), first_person=first_person,
            unknown_subjects=tuple(self.unknown_subjects(text, first_person)),
            about_sources=about_sources(folded, expected), asks_where=asks_where,
            quoted=phrase if role == QuoteRole.LOOKUP else "", quote_role=role,
            title=phrase if role == QuoteRole.TITLE else "", topic=lookup_topic(folded), claim=lookup_claim(folded),
            rewritten=bool(rewritten), new_topic=new_topic and not rewritten,
        )

    def focus(self, text: str) -> frozenset[str]:
        return frozenset(self.keywords.focus_tokens(HOW_MUCH.sub("hoe", text), FOCUS_MAX_SHARE)) - self.asking_stems

    def unknown_names(self, text: str) -> list[str]:
        """Capitalised words inside a sentence (not its first word) that no document contains."""
        names = []
        for sentence in SENTENCE_END.split(text.strip()):
            for word in WORD.findall(sentence)[1:]:
                stems = word_stems(word)  # the word and, when hyphenated, its parts; stopwords left out
                if word[0].isupper() and stems and not any(s in self.keywords.vocabulary for s in stems):
                    names.append(word)
        return names

    def unknown_words(self, text: str, entries) -> list[str]:
        """The question's lower-case content words that no document holds, whole or as a compound
        of known words, and that no vocabulary entry translates ("kat", "chippen", "herindeling")."""
        cue_words = {word for entry in entries for word in entry.key}
        out = []
        for match in WORD.finditer(text):
            word = match.group(0)
            folded = fold(word)
            if (word[0].isupper() or folded in ASKING_WORDS or folded in CONTEXT_WORDS or not word_stems(folded)
                    or folded.isdigit()):
                continue  # a name (context or subject: unknown_names), a question word, a stopword, a number
            if any(folded.startswith(c.rstrip("*")) for c in cue_words):
                continue
            if self.keywords.knows(folded):
                continue
            out.append(folded)
        return list(dict.fromkeys(out))

    def unknown_subjects(self, text: str, first_person: bool) -> list[tuple[str, tuple[str, ...]]]:
        """The lower-case words a question asks about ("wat is de rol van de huisarts?", "wat staat er
        over eenzaamheid?") that no document holds as a word, with the stems of the known words they
        are a compound of: the vocabulary may translate such a word for a resident's story, but the
        documents' neighbouring terms do not answer a question about the thing itself. Names are
        `asks_about`'s; a story told in the first person is not asked about."""
        if first_person:
            return []
        subjects = []
        for sentence, words in _sentences(text):
            if not _asking(sentence, words):
                continue
            capitalised = {fold(w) for w in words if w[0].isupper()}
            folded = fold(sentence)
            for word, end in _subject_places(folded):
                of = OF.match(folded, end)
                word = of["object"].strip(SUBJECT_PUNCTUATION) if of else word
                if (not word or word in capitalised or word in ASKING_WORDS or word in CONTEXT_WORDS
                        or word in PUBLIC_TITLES  # "wat vindt minister X": the name is the subject
                        or not word_stems(word) or not word.isalpha() or self.keywords.holds_word(word)):
                    continue
                subjects.append((word, self.keywords.compound_parts(word)))
        return list(dict.fromkeys(subjects))

    def asks_about(self, text: str, names: list[str], first_person: bool) -> bool:
        """Whether an unknown name is what the question is about, rather than the asker's
        context: titled with a public role ("minister X"), or in "wie is / wat vindt / volgens /
        over X"; a name after "mevrouw", "uit", "in", ... is context, and so is every name in a
        sentence that asks nothing (the resident's story)."""
        if not names:
            return False
        unknown = {fold(n) for n in names}
        for sentence, words in _sentences(text):
            tokens = [fold(w) for w in words]
            asking = _asking(sentence, words)
            for i, token in enumerate(tokens):
                if token not in unknown:
                    continue
                before = tokens[max(0, i - 2):i]
                if before and before[-1] in CONTEXT_WORDS:
                    continue
                if any(_public_title(b) for b in before):
                    return True
                if asking and not first_person and any(word == token for word, _ in _subject_places(fold(sentence))):
                    return True
        return False


def _public_title(word: str) -> bool:
    """A public role, alone or as the end of a compound ("kamerfractie", "fractievoorzitter")."""
    return word in PUBLIC_TITLES or any(word.endswith(title) for title in PUBLIC_TITLES if len(title) >= 6)


def _sentences(text: str) -> Iterator[tuple[str, list[str]]]:
    """Each sentence of the question with its words."""
    for sentence in SENTENCE_END.split(text.strip()):
        yield sentence, WORD.findall(sentence)


def _asking(sentence: str, words: list[str]) -> bool:
    """A sentence that asks (a "?", or a question word first), not one that tells the story."""
    return sentence.rstrip().endswith("?") or bool(words) and fold(words[0]) in QUESTION_WORDS


def _subject_places(folded_sentence: str) -> Iterator[tuple[str, int]]:
    """The words in the subject's place of "wie is X", "wat vindt X", "over X", ... (ASKS_ABOUT),
    each with where it ends in the sentence."""
    for match in ASKS_ABOUT.finditer(folded_sentence):
        for group, value in match.groupdict().items():
            if value:
                yield value.strip(SUBJECT_PUNCTUATION), match.end(group)


QUESTION_WORDS = frozenset("wat wie waar wanneer waarom hoe hoeveel welke welk kan kun kunt mag moet is zijn".split())
