"""Composition on hand-made passages (fast: keyword scores, no vectors, no model)."""

from dataclasses import replace

from assistant.answering.answer import Answerer
from assistant.answering.compose import Composer, Tuning, Unit, _place_item, section_kind
from assistant.answering.question import QuestionReader
from assistant.answering.retrieval import Corpus
from assistant.index.chunking import chunk_document
from assistant.types import Passage, SectionKind

from handmade import COMPOSER, DOCUMENT, READER, chunk_with, document, result_for


def compose(question: str, *passage_words: str):
    result = result_for(question, *passage_words)
    return COMPOSER.compose(result.question, result.passages, {}, [])


def texts(composition) -> list[str]:
    return [u.chunk.text[u.span[0]:u.span[1]] for u in composition.units]


def test_a_list_introduction_keeps_its_items_across_passages():
    composition = compose("Op welke opgaven verminderen gemeenten onzekerheid?", "volgende opgaven")
    shown = texts(composition)
    intro = shown.index("Wij verminderen onzekerheid op de volgende opgaven:")
    items = [u for u in composition.units if u.item]
    assert len(items) == 3 and composition.units.index(items[0]) == intro + 1
    assert shown[intro + 1].startswith("Inkomen. Inwoners moeten kunnen rekenen")  # the lead-in labels its item


def test_a_list_inside_one_passage_keeps_its_items():
    composition = compose("Wat hebben gemeenten nodig van het rijk?", "nodig hebben van het rijk")
    items = [t for u, t in zip(composition.units, texts(composition), strict=True) if u.item]
    assert items[0].startswith("Investeer in voldoende passende") and len(items) == 3


def test_a_list_item_chosen_alone_comes_under_its_introduction():
    composition = compose("Wat moet er met de Participatiewet gebeuren?", "Participatiewet")
    shown = texts(composition)
    assert len(shown) == len(set(shown)), f"a sentence shown twice: {shown}"
    item = shown.index("Herzie de Participatiewet fundamenteel, zonder dwingende standaard verplichtingen.")
    intro = shown.index("Wat wij daarom nodig hebben van het rijk:")
    assert intro < item and all(u.item for u in composition.units[intro + 1:item + 1]), "bullets under it"


def long_list(after: str) -> tuple[list, Composer, QuestionReader]:
    """A document whose list of nine items runs over several chunks, `after` following its
    eighth item; its chunks, a composer and a question reader over them."""
    items = "\n".join(f"- Een afspraak over onderwerp {n} met het rijk, uitgewerkt in een lange zin over de "
                      f"regels, het geld en de uitvoering door gemeenten en partners." for n in range(1, 9))
    text = f"# Afspraken\n\nGemeenten maken deze afspraken met het rijk:\n\n{items}\n{after}"
    chunks = chunk_document(document(text, "afspraken.md"))
    corpus = Corpus(chunks)
    return chunks, Composer(corpus.keywords, corpus.following, corpus.preceding), QuestionReader(corpus.keywords, None)


def test_an_item_of_a_list_that_runs_over_several_passages_comes_under_its_introduction():
    chunks, composer, reader = long_list("- Een regeling voor kwijtschelding van de hondenbelasting voor inwoners "
                                         "met een laag inkomen.\n")
    late = next(c for c in chunks if "hondenbelasting" in c.text)
    assert "deze afspraken" not in late.text, "the list runs over several passages"
    question = reader.read("Wat staat er over kwijtschelding van hondenbelasting?")
    composition = composer.compose(question, [Passage(late, 1.0)], {}, [])
    shown = texts(composition)
    assert shown[0] == "Gemeenten maken deze afspraken met het rijk:"
    assert shown[1].startswith("Een regeling voor kwijtschelding") and composition.units[1].item


def test_items_of_one_list_from_different_passages_keep_the_documents_order():
    chunks, composer, _ = long_list("- Een regeling voor kwijtschelding van de hondenbelasting voor inwoners "
                                    "met een laag inkomen.\n")
    first = next(c for c in chunks if "deze afspraken" in c.text)
    late = next(c for c in chunks if "hondenbelasting" in c.text)
    intro = (first, next(s for s in first.sentences if first.text[s[0]:s[1]].endswith(":")))
    early_item = Unit(first, next(s for s in first.sentences if "onderwerp 1 " in first.text[s[0]:s[1]]), 0, item=True)
    late_item = Unit(late, next(s for s in late.sentences if "hondenbelasting" in late.text[s[0]:s[1]]), 1, item=True)
    units = [Unit(first, intro[1], 0)]
    _place_item(units, late_item, intro)  # the later one was chosen first (it scored higher)
    _place_item(units, early_item, intro)
    assert units[1:] == [early_item, late_item], [u.chunk.text[u.span[0]:u.span[1]][:40] for u in units]


def test_a_points_question_gets_the_rest_of_a_list_right_after_its_introduction():
    chunks, composer, reader = long_list("\n# Wonen\n\nGemeenten zoeken woonplekken voor inwoners die uitstromen "
                                         "uit instellingen.\n")
    intro = next(c for c in chunks if "deze afspraken" in c.text)
    rest = [c for c in chunks if c is not intro and "Een afspraak over" in c.text]
    other = next(c for c in chunks if "woonplekken" in c.text)
    assert rest, "the list runs over several passages"
    ranked = [Passage(intro, 0.9), Passage(other, 0.8), Passage(rest[-1], 0.5)]

    points = composer.with_list_continuations(reader.read("Welke afspraken maken gemeenten met het rijk?"), ranked)
    assert [p.chunk.id for p in points] == [intro.id, *(c.id for c in rest), other.id]
    assert points[-1] is ranked[1] and points[len(rest)] is ranked[2], "a retrieved chunk is moved, not copied"
    definition = reader.read("Wat is een afspraak met het rijk?")
    assert composer.with_list_continuations(definition, ranked) == ranked, "only a question that asks for points"
    ahead = [Passage(rest[0], 0.9), Passage(intro, 0.8)]
    assert [p.chunk.id for p in composer.with_list_continuations(reader.read(
        "Welke afspraken maken gemeenten met het rijk?"), ahead)][:2] == [rest[0].id, intro.id], "ranked higher: stays"


def test_a_sentence_two_documents_share_is_shown_once():
    proposition = ("# Jeugd\n\nGeef op korte termijn helderheid over de reikwijdte van de jeugdhulp en financiële "
                   "zekerheid vanaf 2026. Gemeenten werken samen met het onderwijs.\n")
    webpage = ("# Wat is nodig?\n\nHelderheid over de reikwijdte van de jeugdhulp en financiële zekerheid vanaf 2026. "
               "Samenwerking tussen kinderopvang en zorg.\n")
    chunks = chunk_document(document(proposition, "propositie.md")) + chunk_document(document(webpage, "pagina.md"))
    corpus = Corpus(chunks)
    question = QuestionReader(corpus.keywords, None).read("Wat vragen gemeenten voor de jeugdhulp vanaf 2026?")
    composer = Composer(corpus.keywords, corpus.following, corpus.preceding)
    shown = texts(composer.compose(question, [Passage(c, 1.0 - i / 10) for i, c in enumerate(chunks)], {}, []))
    assert sum("reikwijdte van de jeugdhulp" in t for t in shown) == 1, shown


def test_a_bold_lead_in_is_never_a_sentence_of_its_own():
    composition = compose("Hoe helpen gemeenten bij schulden?", "schuldhulp", "Inkomen.")
    assert composition.units
    assert all(t.rstrip(".") not in ("Schulden", "Inkomen", "Wonen") for t in texts(composition))


def test_a_definition_gets_at_most_three_sentences():
    composition = compose("Wat is de sociale basis?", "sociale basis", "overgewicht")
    assert 1 <= len(composition.units) <= 3
    assert texts(composition)[0].startswith("De sociale basis is het geheel")


def test_reading_order_within_a_passage():
    composition = compose("Hoe helpen gemeenten inwoners met schulden en boetes?", "schuldhulp")
    positions = [u.span[0] for u in composition.units if u.chunk is chunk_with("schuldhulp")]
    assert positions == sorted(positions) and len(positions) == 2


def test_the_section_the_question_asks_for_comes_first():
    result = result_for("Wat vragen gemeenten van het rijk voor de woningen?", "woonplekken", "betaalbare woningen")
    composition = COMPOSER.compose(result.question, result.passages, {}, [])
    assert "betaalbare woningen" in composition.passages[0].chunk.text  # re-ranked by its best sentence
    assert "nodig hebben van het rijk" in texts(composition)[1]  # the rijk section's sentences answer


def test_section_kinds_from_the_headings():
    assert section_kind(chunk_with("schuldhulp")) == SectionKind.MUNICIPALITY
    assert section_kind(chunk_with("nodig hebben van het rijk")) == SectionKind.RIJK
    assert section_kind(chunk_with("sociale basis is")) == SectionKind.OTHER


def test_questions_and_fragments_are_labels():
    chunk = chunk_with("sociale basis is")
    assert not Composer.is_label(chunk, *chunk.sentences[0])


HEADED_LIST = """# Speerpunten

## 2. Aandacht voor doelgroepen

Gemeenten willen de komende jaren op de volgende terreinen extra stappen zetten:

## Armoede en schulden

Maatregelen om schulden van jongeren te voorkomen. Ook het beschermingsbewind moet beter.

## Jonge kinderen

Gemeenten willen de opvang van jonge kinderen in integrale kindcentra regelen.

## 3. Financiering

Gemeenten vragen het rijk om structureel geld voor het sociaal domein.
"""


def test_a_list_whose_items_are_headed_sections_brings_them_labelled():
    from assistant.answering.compose import Composer
    from assistant.answering.retrieval import Corpus
    from assistant.index.chunking import chunk_document
    from assistant.types import Passage

    from handmade import READER, document

    chunks = chunk_document(document(HEADED_LIST, "speerpunten.md"))
    corpus = Corpus(chunks)
    intro = next(c for c in chunks if "volgende terreinen" in c.text)
    question = READER.read("Op welke terreinen willen gemeenten extra stappen zetten?")
    composer = Composer(corpus.keywords, corpus.following, corpus.preceding)
    composition = composer.compose(question, [Passage(intro, 1.0)], {}, [])
    items = [(u.label, u.chunk.text[u.span[0]:u.span[1]]) for u in composition.units if u.item]
    assert items == [("Armoede en schulden", "Maatregelen om schulden van jongeren te voorkomen."),
                     ("Jonge kinderen",
                      "Gemeenten willen de opvang van jonge kinderen in integrale kindcentra regelen.")]


def test_a_bibliography_entry_answers_only_a_question_about_a_source():
    text = ("# Bronnen\n\nGemeenten zien dat mensen bij het loket vooral gezien en gehoord willen worden.\n\n"
            "1. SCP, 'Gezien, gehoord en geholpen willen worden' (2023)\n"
            "2. Platform de Toekomst van Arbeid, 'Investeren in mensen. Bouwstenen van een regeerakkoord' (2020)\n")
    chunks = chunk_document(document(text, "bronnen.md"))
    corpus = Corpus(chunks)
    composer = Composer(corpus.keywords, corpus.following, corpus.preceding)
    reader = QuestionReader(corpus.keywords, None)
    passages = [Passage(c, 1.0) for c in chunks]

    def shown(question: str) -> list[str]:
        units = composer.compose(reader.read(question), passages, {}, []).units
        return [u.chunk.text[u.span[0]:u.span[1]] for u in units]

    assert all("(20" not in s for s in shown("Willen mensen gezien en gehoord worden aan het loket?"))
    assert all("(20" not in s for s in shown("In welk stuk staat 'gezien en gehoord'?")), "where, not which report"
    assert all("(20" not in s for s in shown("Wat zegt de propositie over gezien en gehoord worden?")), "its scope"
    assert any(s.startswith("SCP, 'Gezien, gehoord") for s in shown("Uit welk rapport komt 'gezien en gehoord'?"))


def test_an_answer_to_where_a_passage_stands_opens_with_the_document_and_section():
    answerer = Answerer(READER, None, None, COMPOSER, None, {DOCUMENT.name: DOCUMENT}, None, 0.5)

    def answer(question: str, *passage_words: str) -> list[str]:
        result = result_for(question, *passage_words)
        composition = COMPOSER.compose(result.question, result.passages, {}, [])
        return answerer.passages_answer(result.question, composition).text.splitlines()

    lines = answer("In welk stuk staat 'voldoende en voorspelbaar inkomen'?", "sociale basis", "voorspelbaar inkomen")
    found = next(line for line in lines[1:] if "voldoende en voorspelbaar inkomen" in line)
    assert lines[0] == ('Vindplaats: VNG e.a., De propositie, "Bestaanszekerheid bieden" > '
                        '"Onzekerheid die wij als gemeenten verminderen" > "Inkomen" ' + found[found.rindex("["):])
    assert not any(line.startswith("Vindplaats") for line in answer("Wat is de sociale basis?", "sociale basis"))


FRAGMENTED_MONEY = """# Geld

## Slim sturen met geld

Geld voor gemeenten is versnipperd in losse potjes met elk een eigen verantwoording.
De structurele basis is daardoor onzeker en niet op orde.
We vragen een stabiele basis die meerjarig vastligt.

## Taken

Gemeenten voeren veel taken uit met geld dat ze van het rijk krijgen. Die taken groeien elk jaar.
"""


def test_the_sentences_after_the_best_one_in_its_paragraph_say_the_rest_of_its_point():
    """The problem, then what follows from it and what is asked: the later sentences share few of
    the question's words, but they continue the sentence that answers it."""
    chunks = chunk_document(document(FRAGMENTED_MONEY, "geld.md"))
    corpus = Corpus(chunks)
    question = QuestionReader(corpus.keywords, None).read("Wat zeggen gemeenten over geld in losse potjes?")
    passages = [Passage(c, 1.0 - i / 10) for i, c in enumerate(chunks)]

    def composed(**tuning) -> list[str]:
        composer = Composer(corpus.keywords, corpus.following, corpus.preceding, replace(Tuning(), **tuning))
        return texts(composer.compose(question, passages, {}, []))

    assert composed()[:2] == ["Geld voor gemeenten is versnipperd in losse potjes met elk een eigen verantwoording.",
                              "De structurele basis is daardoor onzeker en niet op orde."]
    assert composed(continuation=0.0) == composed()[:1], "without it the point stops at its first sentence"
    assert len(composed(continuation=0.5)) == 3, "a stronger window reads on to what is asked"
    assert composed(continue_from=1.01) == composed()[:1], "only after a sentence that scores near the best"
