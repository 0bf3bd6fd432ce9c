"""The relevance verdict on hand-made passages (fast): each asked-for fact refuses when the
passages lack it and answers when they hold it; names are context unless asked about."""

import pytest

from assistant.answering.answer_types import holds
from assistant.answering.keywords import dutch_word, fold, mostly_dutch
from assistant.answering.relevance import fact_sentence, holds_lookup
from assistant.types import ExpectedFact, Role, Turn

from handmade import READER, RELEVANCE, result_for


@pytest.mark.parametrize("question, passage, found", [
    # an amount: the passages hold a share, not euros
    ("Hoeveel euro is die 2% van de zorgbegroting?", "2% van de zorgbegroting", False),
    # a year: held ("vanaf 2026")
    ("Vanaf wanneer willen gemeenten financiële zekerheid voor de jeugdhulp?", "2% van de zorgbegroting", True),
    # a date for something the passages hold no date for
    ("Tot wanneer kan ik schuldhulp aanvragen?", "schuldhulp", False),
    # a percentage: held
    ("Hoeveel procent van de volwassenen heeft in 2040 overgewicht?", "62%", True),
    # a number the passages lack
    ("Hoeveel woonplekken komen er bij?", "woonplekken", False),
    # a person with a role, of the right organisation
    ("Wie is de voorzitter van de SER?", "Mariëtte Hamer", True),
    ("Wie is de voorzitter van de VNG?", "Mariëtte Hamer", False),
    # a weekday and date: held
    ("Wanneer kreeg de SER het statement?", "Mariëtte Hamer", True),
    # contact details and procedures are not in these documents
    ("Welk telefoonnummer heeft de schuldhulp?", "schuldhulp", False),
    ("Hoe kan ik bijstand aanvragen bij de gemeente?", "bijstand", False),
    ("Wat zijn de openingstijden van de schuldhulp?", "schuldhulp", False),
    ("Hoe lang duurt het voor de schuldhulp begint?", "schuldhulp", False),
    # no fact asked for: found on confidence
    ("Wat doen gemeenten aan schulden?", "schuldhulp", True),
    # asked in English: the fact the documents hold is the same
    ("In which year do municipalities want certainty for the jeugdhulp?", "2% van de zorgbegroting", True),
    ("In which year did the Participatiewet come into force?", "Participatiewet", False),
    ("How many adults are overweight in 2040?", "62%", True),
    # a share ("welk deel") is a number
    ("Welk deel van de zorgbegroting moet naar de jeugdhulp?", "2% van de zorgbegroting", True),
    ("Welk deel van de inwoners met schulden krijgt schuldhulp?", "schuldhulp", False),
    # the clause that asks for the fact is what it must stand beside, not the question's other clause
    ("Welk deel van de zorgbegroting willen gemeenten verschuiven, en waarvoor moet dat geld dienen?",
     "2% van de zorgbegroting", True),
    ("Hoeveel inwoners hebben schulden, en wat doen gemeenten daaraan?", "schuldhulp", False),
    # a law's article
    ("Welk artikel van de Participatiewet moet worden herzien?", "Participatiewet", False),
])
def test_each_asked_for_fact_must_be_held(question, passage, found):
    verdict = RELEVANCE.judge(result_for(question, passage))
    assert verdict.found is found, verdict.reasons


def test_the_focus_beside_the_facts_is_the_subjects_clause():
    """Two clauses that each ask a fact: each must be held, and the share of the focus beside its
    fact is the best clause's (a second clause's own words, "de SER ... over gezonde voeding",
    need not all stand beside its date)."""
    result = result_for("Hoeveel procent van de volwassenen heeft in 2040 overgewicht, en wanneer kreeg de SER "
                        "het statement over gezonde voeding?", "62%")
    assert len(result.question.fact_asks) == 2
    sentence, share = fact_sentence(result)
    assert sentence.startswith("Bij ongewijzigd beleid") and share == 1.0
    assert fact_sentence(result_for("Wanneer kreeg de SER het statement over gezonde voeding?", "62%"))[1] < 1.0


def test_how_a_fact_is_asked_for_is_not_what_must_stand_beside_it():
    """"Welk", "volgens het pamflet": how the question asks, not its subject, so the sentence with
    the figure and every word of the subject holds all of the focus."""
    result = result_for("Welk percentage van de volwassenen heeft volgens het pamflet in 2040 overgewicht?", "62%")
    assert result.question.fact_asks[0].focus == {"2040", "overwicht", "volwassen"}
    assert fact_sentence(result)[1] == 1.0


@pytest.mark.parametrize("question, sentence, held", [
    # "genoeg" for "voldoende", "geld" for "middelen", "de privacywet" for "de AVG": a vetted synonym
    ("Waar stond dat inwoners genoeg en voorspelbaar geld moeten krijgen?",
     "Inwoners moeten kunnen rekenen op voldoende en voorspelbaar inkomen.", True),
    ("Waar stond dat inwoners weinig en onvoorspelbaar geld krijgen?",
     "Inwoners moeten kunnen rekenen op voldoende en voorspelbaar inkomen.", False),
    ("Waar stond 'verschuilen achter de privacywet'?", "We verschuilen ons nog te veel achter 'de AVG'.", True),
])
def test_a_phrase_looked_up_in_other_words_is_held_by_the_sentence_that_says_it(question, sentence, held):
    assert holds_lookup(READER.read(question), sentence) is held


def test_the_kind_of_thing_asked_for_need_not_stand_beside_it():
    """"Welke voorzitter": the sentence names the chair, "voorzitter" or not."""
    result = result_for("Welke voorzitter kreeg het statement op maandag?", "62%")
    assert "vorzitter" in READER.focus(result.question.text)
    assert result.question.fact_asks[0].focus == {"kreg", "mandag", "statement"}


def test_a_question_about_what_no_document_mentions_is_refused():
    """Close in phrasing ("de gemeente", "inwoners") but about words no document holds."""
    verdict = RELEVANCE.judge(result_for("Moet een inwoner zijn hond laten registreren bij de gemeente?", "schuldhulp"))
    assert not verdict.found and any("hond" in r for r in verdict.reasons)
    assert RELEVANCE.judge(result_for("Kan een inwoner met schulden bij de gemeente terecht?", "schuldhulp")).found


def test_low_confidence_is_not_found_and_says_why():
    verdict = RELEVANCE.judge(result_for("Hoe bak ik pannenkoeken?", "sociale basis", similarity=0.78))
    assert not verdict.found and "not in these documents" in verdict.reasons[0]
    assert "closeness of the best passage" in verdict.reasons[1], "the trace says what weighed most"


def test_keyword_evidence_lifts_a_borderline_confidence():
    assert RELEVANCE.judge(result_for("Wat doen gemeenten aan schulden?", "schuldhulp", similarity=0.82)).found


def test_a_residents_name_is_context_and_the_question_is_answered():
    verdict = RELEVANCE.judge(result_for("Mevrouw Jansen heeft schulden en krijgt aanmaningen. Kan de gemeente helpen?",
                               "schuldhulp"))
    assert verdict.found and any("context" in r for r in verdict.reasons)


def test_a_question_about_an_unknown_politician_is_refused():
    verdict = RELEVANCE.judge(result_for("Wat vindt minister Verhoeven van de propositie?", "sociale basis"))
    assert not verdict.found and any("Verhoeven" in r for r in verdict.reasons)


@pytest.mark.parametrize("question, passage, found", [
    # quoted as it stands, and half-remembered (a word changed, words in another order)
    ("Waar staat 'voldoende en voorspelbaar inkomen'?", "voorspelbaar inkomen", True),
    ("waar stond 'schuldhulp vanaf het eerste signaal' ook alweer?", "schuldhulp", True),
    ("Ik zoek het citaat 'inkomen voorspelbaar en voldoende'", "voorspelbaar inkomen", True),
    # a phrase made of the documents' words that no passage says
    ("Waar staat 'elke euro in de sociale basis levert zeven euro op'?", "sociale basis", False),
    ("citaat 'de gemeente als huisarts van de wijk'", "sociale basis", False),
    # a lookup that names its topic or what it says: a passage holds it, or none does
    ("de passage over schulden en boetes", "schuldhulp", True),
    ("de passage over windmolens en zonneparken in de wijk", "sociale basis", False),
    ("welk document zei dat de gemeente de huur van inwoners betaalt?", "schuldhulp", False),
    ("waar stond dat gemeenten alle schulden van inwoners kwijtschelden?", "schuldhulp", False),
    ("in welk stuk staat dat schulden niet mogen stijgen door boetes?", "schuldhulp", True),
])
def test_a_looked_up_phrase_must_stand_in_a_passage(question, passage, found):
    verdict = RELEVANCE.judge(result_for(question, passage))
    assert verdict.found is found, verdict.reasons
    assert any(r.startswith("looks up") for r in verdict.reasons)


@pytest.mark.parametrize("sentence, held", [
    ("Artikel 6 van de AVG staat het uitwisselen in de weg.", True),
    ("Gemeenten verschuilen zich achter de AVG.", False),
])
def test_an_article_is_a_numbered_article(sentence, held):
    assert holds(ExpectedFact("artikel"), sentence, fold(sentence)) is held


@pytest.mark.parametrize("sentence, held", [
    ("Zij krijgen binnen acht weken een besluit.", True),
    ("De regeling loopt twee jaar.", True),
    ("Het wijkteam meldt de inwoner binnen twee werkdagen aan.", True),  # working days are a length of time
    ("We ondersteunen jongeren die 18 jaar worden op alle levensdomeinen.", False),  # an age
    ("Los de wachttijden in de BRP-straten op.", False),  # named, not said how long
])
def test_a_duration_is_a_length_of_time(sentence, held):
    assert holds(ExpectedFact("duur"), sentence, fold(sentence)) is held


def test_a_sources_year_answers_only_a_question_about_a_source():
    from assistant.index.chunking import chunk_document
    from assistant.types import Passage, SearchResult, Signals

    from handmade import READER, document

    references = document("# Bronvermelding\n\nVNG, 'Gemeenten investeren in de sociale basis' (2023)\n", "bronnen.md")
    passages = [Passage(chunk, 1.0) for chunk in chunk_document(references)]

    def found(question: str) -> bool:
        return RELEVANCE.judge(SearchResult(READER.read(question), passages,
                                            Signals(similarity=0.9, keyword_best=5.0))).found

    assert not found("Wanneer investeren gemeenten in de sociale basis?")
    assert found("In welk jaar verscheen het stuk over de sociale basis?")


@pytest.mark.parametrize("question", [
    "de zin over gemeenten die niet alles kunnen doen als het gaat om de woonellende",
    "waar staat 'gemeenten kunnen niet alles doen als het gaat om de woonellende'?",
    "waar stond ook alweer dat gemeenten niet alles kunnen oplossen bij de woonellende?",
])
def test_a_lookup_a_passage_holds_is_answered_despite_a_misremembered_word(question):
    """"woonellende" stands in no document (the text says "wooncrisis"): the lookup still finds its sentence."""
    verdict = RELEVANCE.judge(result_for(question, "wooncrisis"))
    assert verdict.found, verdict.reasons


OVERWEIGHT = (Turn(Role.USER, "Wat staat er over overgewicht bij volwassenen?"),
              Turn(Role.ASSISTANT, "Bij ongewijzigd beleid heeft in 2040 naar verwachting 62% van de volwassenen "
                                   "overgewicht [1]."))


def test_a_follow_ups_fact_may_be_about_its_topic():
    """"Hoe groot is die groep?" after a question about overweight: the share stands in a sentence
    about the topic, not about "groep"; a fact the passages lack is still refused."""
    asked = "En hoe groot is die groep dan?"
    assert RELEVANCE.judge(result_for(asked, "62%", "schuldhulp", history=OVERWEIGHT)).found
    assert not RELEVANCE.judge(result_for(asked, "62%", "schuldhulp")).found, "without the topic: not about it"
    lacking = RELEVANCE.judge(result_for("En hoeveel euro kost die groep?", "62%", "schuldhulp", history=OVERWEIGHT))
    assert not lacking.found and any("asks for bedrag" in reason for reason in lacking.reasons)


@pytest.mark.parametrize("asked", ["Hoe groot is die groep volgens hun bron?",
                                   "Hoe groot is dat aandeel, en uit welk onderzoek komt dat?"])
def test_the_noun_a_follow_up_points_back_with_is_its_topic(asked):
    """"die groep", "dat aandeel", "hoe groot": how the follow-up points back and asks, not words
    that must stand beside the figure; the conversation's topic must."""
    result = result_for(asked, "62%", "schuldhulp", history=OVERWEIGHT)
    assert all(ask.focus == {"overwicht", "volwassen"} for ask in result.question.fact_asks)
    assert RELEVANCE.judge(result).found


def test_a_question_about_a_word_no_document_holds_is_refused_even_when_the_vocabulary_translates_it():
    """"huisarts" is a resident's word the vocabulary maps to "zorg": fine in a story, but a question
    about the huisarts itself is not answered by the documents' neighbouring terms."""
    verdict = RELEVANCE.judge(result_for("Wat is de rol van de huisarts bij schulden?", "schuldhulp"))
    assert not verdict.found and any("asks about huisarts" in r for r in verdict.reasons)
    story = "Ik ga vaak naar de huisarts omdat ik stress heb van mijn schulden. Wat kan de gemeente doen?"
    assert RELEVANCE.judge(result_for(story, "schuldhulp")).found, "a resident's story is not asked about"
    # a compound no document holds whole, whose parts a passage holds together: answered
    compound = "Wat zeggen de stukken over inkomensbegeleiding?"
    assert RELEVANCE.judge(result_for(compound, "voorspelbaar inkomen")).found
    assert not RELEVANCE.judge(result_for(compound, "schuldhulp")).found


def test_a_residents_words_in_quotes_are_no_lookup_but_the_same_words_looked_up_must_stand():
    said = "Mevrouw zegt: 'ik kan mijn rekeningen niet meer betalen en slaap er slecht van'. Kan de gemeente helpen?"
    assert RELEVANCE.judge(result_for(said, "schuldhulp")).found
    looked_up = "Waar staat 'ik kan mijn rekeningen niet meer betalen en slaap er slecht van'?"
    assert not RELEVANCE.judge(result_for(looked_up, "schuldhulp")).found


def test_a_follow_ups_own_words_need_not_be_the_documents():
    """"Wat gebeurt daar dan?" is about its topic: its verb is no subject the documents lack."""
    history = (Turn(Role.USER, "Wat doen gemeenten aan schulden?"), Turn(Role.ASSISTANT, "Schuldhulp [1]."))
    assert RELEVANCE.judge(result_for("Wat gebeurt daar dan?", "schuldhulp", history=history)).found
    assert not RELEVANCE.judge(result_for("Wat gebeurt er met de grofvuilophaling?", "schuldhulp")).found


def test_a_words_language_is_told_by_how_common_it_is_in_each():
    assert dutch_word("basisinkomen") and dutch_word("participatiewet") and dutch_word("gemeenten")
    assert not dutch_word("citizens") and not dutch_word("municipalities") and not dutch_word("scheme")
    assert mostly_dutch("je kansen mogen niet afhangen van je postcode")
    assert not mostly_dutch("the level of government closest to citizens")


def test_in_an_english_question_only_dutch_words_count_as_missing_from_the_documents():
    """English words are absent from Dutch text whatever it says: an English phrase no passage holds
    is not evidence against the question; a Dutch word no document holds still is."""
    english = "Where does it say that municipalities are 'the level of government closest to citizens'?"
    values, notes = RELEVANCE.evidence(result_for(english, "schuldhulp"))
    assert values["lookup"] == values["lookup_held"] == values["lookup_match"] == 0.0
    assert values["uncovered"] == 0.0 and "the phrase is not Dutch" in " ".join(notes)
    dutch_word_asked = "Where does the VNG argue for a universal basic income ('basisinkomen')?"
    values, _ = RELEVANCE.evidence(result_for(dutch_word_asked, "schuldhulp"))
    assert values["lookup"] == 1.0 and values["lookup_held"] == 0.0, "a Dutch word it quotes still counts"
    assert not RELEVANCE.judge(result_for(dutch_word_asked, "schuldhulp")).found
    values, _ = RELEVANCE.evidence(result_for("Waar staat 'de overheid die het dichtst bij de burger staat'?",
                                              "schuldhulp"))
    assert values["lookup"] == 1.0, "in a Dutch question every phrase counts"


@pytest.mark.parametrize("question, after", [
    ("Is de 2% van de zorgbegroting inmiddels overgenomen?", True),
    ("Hoe heeft de SER gereageerd op de 2% van de zorgbegroting?", True),
    ("Hoe reageert het kabinet op de 2% van de zorgbegroting?", True),
    # the documents say "nog steeds" of themselves: a question whether they still ask it is theirs
    ("Vraagt de propositie nog steeds om 2% van de zorgbegroting?", False),
    ("Wat vragen gemeenten met 2% van de zorgbegroting?", False),
])
def test_what_happened_after_the_documents_is_told_apart(question, after):
    values, _ = RELEVANCE.evidence(result_for(question, "2% van de zorgbegroting"))
    assert values["after_publication"] == float(after)


def test_a_reaction_after_the_documents_is_refused_and_their_own_request_answered():
    assert not RELEVANCE.judge(result_for("Is de 2% van de zorgbegroting inmiddels overgenomen?",
                                          "2% van de zorgbegroting")).found
    assert RELEVANCE.judge(result_for("Vraagt de propositie nog steeds om 2% van de zorgbegroting?",
                                      "2% van de zorgbegroting")).found
