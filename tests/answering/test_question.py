"""The question, read once (fast: a hand-made keyword index, no model)."""

import pytest

from assistant.answering.keywords import quoted_phrase
from assistant.answering.question import BadQuestion, QuestionReader, check_question, follow_up_text
from assistant.types import Intent, QuoteRole, Role, SectionKind, Turn

from handmade import READER


@pytest.mark.parametrize("question, intent", [
    ("Wat is de sociale basis?", Intent.DEFINITION),
    ("Wat bedoelen ze met bestaanszekerheid?", Intent.DEFINITION),
    ("Wat wordt er bedoeld met ongelijk investeren?", Intent.DEFINITION),
    ("Welke opgaven noemen gemeenten?", Intent.POINTS),
    ("Geef me in een paar punten wat het rijk moet doen", Intent.POINTS),
    ("Kun je de speerpunten samenvatten?", Intent.POINTS),
    ("Waarom is wonen zo lastig?", Intent.REASON),
    ("Kan de gemeente helpen met mijn schulden?", Intent.GENERAL),
])
def test_intent(question, intent):
    assert READER.read(question).intent == intent


@pytest.mark.parametrize("question, kind", [
    ("Wat vragen gemeenten van het rijk voor de jeugdhulp?", SectionKind.RIJK),
    ("Wat wil de VNG met de Participatiewet?", SectionKind.RIJK),
    ("Kan de gemeente helpen met mijn schulden?", SectionKind.MUNICIPALITY),
    ("Waarom is er te weinig geld?", SectionKind.PROBLEM),
])
def test_the_kind_of_section_a_question_wants(question, kind):
    assert kind in READER.read(question).wants


@pytest.mark.parametrize("question, facts", [
    ("Hoeveel euro is die 2% van de zorgbegroting?", ["bedrag"]),
    ("Tot wanneer kan ik de toeslag aanvragen?", ["datum"]),
    ("Wat zijn de openingstijden van het loket?", ["kloktijd"]),
    ("Hoe lang duurt de wachttijd voor schuldhulp?", ["duur"]),
    ("Binnen hoeveel werkdagen krijgt een inwoner bericht?", ["duur"]),
    ("Hoeveel statushouders moeten we huisvesten?", ["aantal"]),
    ("Welk telefoonnummer heeft de schuldhulp?", ["contact"]),
    ("Hoe kan ik bijzondere bijstand aanvragen?", ["procedure"]),
    ("In welke stad wordt het congres gehouden?", ["plaats"]),
    ("Wie is de voorzitter van de VNG?", ["persoon"]),
    ("Welke gemeenten doen mee aan de proef?", ["namen"]),
    ("Wat doen gemeenten aan schulden?", []),
    ("Wat doet de gemeente wanneer iemand schulden heeft?", []),  # "wanneer" as a conjunction asks no date
    # the forms a front desk passes on, in the resident's words
    ("Wat bedraagt de eigen bijdrage voor een scootmobiel?", ["bedrag"]),
    ("Mijn moeder wil weten wat de hoogte van de toeslag is.", ["bedrag"]),
    ("Hoeveel uitkering hij krijgt als hij gaat samenwonen, vraagt mijn buurman.", ["bedrag"]),
    ("Een inwoner wil weten wanneer zijn uitkering wordt overgemaakt.", ["datum"]),
    ("Hoe vaak mag je een voedselpakket halen?", ["aantal"]),
    ("Wat is het adres van het wijkteam?", ["contact"]),
    ("Hoe vraagt mijn vader een rolstoel aan?", ["procedure"]),
    ("Ze wil weten hoe ze haar pas kan verlengen.", ["procedure"]),
    ("Waar moet ik heen voor een uittreksel?", ["plaats"]),
    ("Wie is de consulent van mijn broer?", ["persoon"]),
    # written in a hurry, and asked by the channel
    ("welk tel.nr moet hij bellen voor de wmo?", ["contact"]),
    ("Wat is het mailadres van het wijkteam?", ["contact"]),
    ("Ze wil bijzondere bijstand aanvragen, moet ze langskomen of kan het online?", ["procedure"]),
    ("Kan hij zich met DigiD aanmelden voor schuldhulp?", ["procedure"]),
    ("Hoe kunnen gemeenten hun dienstverlening online verbeteren?", []),  # online, but no application
])
def test_the_facts_a_question_asks_for(question, facts):
    assert [f.name for f in READER.read(question).expected] == facts


@pytest.mark.parametrize("question, unknown", [
    ("Sanne uit Delft vraagt of ze haar hond moet laten registreren.", ["hond", "registreren"]),
    ("de passage over zonnepanelen op het gemeentehuis", ["zonnepanelen", "gemeentehuis"]),
    ("Mevrouw Jansen uit Zwolle heeft schulden en onzekerheid.", []),  # names, context: not unknown
])
def test_words_no_document_holds(question, unknown):
    assert list(READER.read(question).unknown_words) == unknown


def test_a_role_question_keeps_the_role_and_whose_it_is():
    (fact,) = READER.read("Wie is op dit moment voorzitter van de VNG?").expected
    assert (fact.role, fact.of) == ("voorzitter", "vng")


@pytest.mark.parametrize("question", [
    "Mevrouw Jansen heeft schulden en krijgt aanmaningen. Kan de gemeente helpen?",
    "Meneer Bakker uit Deventer kan zijn huur niet betalen, wat doet de gemeente?",
    "We wonen in Zwolle en hebben schulden. Helpt de gemeente ons?",
    "Kan Fatima hulp krijgen bij haar schulden?",
    "Wat doet de gemeente Amersfoort aan schulden?",
])
def test_a_residents_name_or_town_is_context(question):
    read = READER.read(question)
    assert read.unknown_names and not read.asks_about_name


@pytest.mark.parametrize("question", [
    "Wat vindt minister Verhoeven van de propositie?",
    "Hoe heeft informateur Plasterk gereageerd op de propositie?",
    "Wat zeggen de stukken over de Omgevingswet?",
    "Wie is Annemarie Jorritsma?",
    # a public role as the end of a compound
    "Hoe staat de Tweede Kamerfractie van GroenLinks tegenover het ontwikkelrecht?",
    "Steunt fractievoorzitter Hermans de propositie?",
])
def test_a_name_the_question_asks_about_is_the_subject(question):
    assert READER.read(question).asks_about_name


def test_the_question_carries_its_vocabulary_and_language():
    read = READER.read("Ik heb een aanmaning gekregen en nu komt de deurwaarder")
    assert read.cues and "schuld" in read.expansion and read.dutch and read.first_person
    assert not READER.read("What do municipalities ask of the national government?").dutch


def test_a_follow_up_carries_the_previous_user_question():
    history = (Turn(Role.USER, "Wat zeggen ze over de jeugdhulp?"), Turn(Role.ASSISTANT, "..."))
    read = READER.read("En wat vraagt men van het rijk?", history)
    assert read.follow_up and "jeugdhulp" in read.retrieval_text
    assert follow_up_text("Vraag", ()) == "Vraag"


def test_a_follow_up_that_names_another_kind_of_section_pivots_to_it():
    """"En wat vragen ze van het rijk?" after what municipalities do: the kind is the follow-up's own."""
    history = (Turn(Role.USER, "Wat doen gemeenten aan schulden?"), Turn(Role.ASSISTANT, "Schuldhulp [1]."))
    pivot = READER.read("En wat vragen ze daarvoor van het rijk?", history)
    assert pivot.pivots and pivot.wants == (SectionKind.RIJK,)
    assert not READER.read("En hoe snel gebeurt dat?", history).pivots  # no kind of its own
    assert not READER.read("Iets anders: wat vragen gemeenten van het rijk voor de jeugdhulp?", history).pivots
    assert not READER.read("Wat vragen gemeenten van het rijk?").pivots  # no conversation


@pytest.mark.parametrize("raw, hint", [(None, "Typ eerst"), ("  \n ", "Typ eerst"), ("x" * 30, "te lang")])
def test_what_cannot_be_asked_gets_a_dutch_hint(raw, hint):
    with pytest.raises(BadQuestion, match=hint):
        check_question(raw, 20)


def test_control_characters_are_removed():
    assert check_question("Wat is\x00 bestaans\x07zekerheid?\x1b", 100) == "Wat is bestaanszekerheid?"


@pytest.mark.parametrize("question, quoted, topic", [
    ("Waar staat 'pleisters plakken' ook alweer?", "pleisters plakken", ""),
    ("overgewicht als “stille pandemie” — welke bron?", "stille pandemie", ""),
    ("de passage over windmolens en zonneparken", "", "windmolens en zonneparken"),
    ("Waar staat de zin over het afschaffen van de hondenbelasting?", "", "het afschaffen van de hondenbelasting"),
    ("iets met 'samen sterk'", "samen sterk", "'samen sterk'"),
    ("Staat er ook iets in over wat de opvang kost?", "", ""),  # a question, not a lookup
    ("Wat doen gemeenten aan schulden?", "", ""),
])
def test_a_lookup_keeps_its_phrase_or_topic(question, quoted, topic):
    read = READER.read(question)
    assert (read.quoted, read.topic) == (quoted, topic)


@pytest.mark.parametrize("answer, question, point", [
    ("Volgens de propositie zijn dat: wie doet wat, van pleisters naar preventie, slim sturen met regels en geld,"
     " en personeel als 'gouden fundament' (001.txt).", "Kun je dat laatste punt uitleggen?",
     "personeel als 'gouden fundament'"),
    ("Op drie niveaus: de persoonlijke basis, de gemeenschappelijke basis en de professionele basis.",
     "wat doen gemeenten op dat middelste niveau?", "de gemeenschappelijke basis"),
    ("Gemeenten vragen:\n- Investeer in woningen. [1]\n- Herzie de Participatiewet. [2]\n- Zorg voor jeugdhulp. [3]",
     "Wat bedoelen ze met het tweede punt?", "Herzie de Participatiewet."),
])
def test_a_follow_up_that_points_at_a_point_of_the_answer_carries_it(answer, question, point):
    history = (Turn(Role.USER, "Welke punten noemen ze?"), Turn(Role.ASSISTANT, answer))
    read = READER.read(question, history)
    assert read.retrieval_text.startswith(point) and "punten noemen" not in read.retrieval_text


def test_a_follow_up_without_a_place_keeps_the_previous_question():
    history = (Turn(Role.USER, "Welke punten noemen ze?"), Turn(Role.ASSISTANT, "Dit: a, b en c."))
    assert READER.read("En wat vraagt men van het rijk?", history).retrieval_text.startswith("Welke punten")


@pytest.mark.parametrize("question, asks_where", [
    ("'meer normaliseren' - in welk stuk staat dat?", True),
    ("van pleisters naar preventie, waar stond dat ook alweer?", True),
    ("Welk document zei iets over mensen die tussen wal en schip vallen?", True),
    ("Waar staat dat letterlijk?", True),
    ("Waar staat de VNG voor?", False),  # what it stands for
    ("Waar kan ik schuldhulp aanvragen?", False),  # a counter, not a passage
    ("Uit welk rapport komt dat cijfer?", False),  # the source it cites, not where it stands
    ("Wat is de sociale basis?", False),
])
def test_a_question_that_asks_where_a_passage_stands(question, asks_where):
    assert READER.read(question).asks_where is asks_where


@pytest.mark.parametrize("question, subjects", [
    ("Wat is de rol van de huisarts bij schulden?", ["huisarts"]),  # what it is asked of
    ("Wat zeggen de stukken over eenzaamheid?", ["eenzaamheid"]),
    ("Wat is het adres van de huisarts?", ["huisarts"]),  # the address is asked of the huisarts
    ("Wat is de rol van de inkomensbegeleiding?", ["inkomensbegeleiding"]),  # with its parts, below
    ("Wat doen gemeenten aan schulden?", []),
    ("Wat zeggen de stukken over betalingsachterstnad?", []),  # mistyped in a hurry: still the documents' word
    ("Ik ga naar de huisarts. Wat kan de gemeente doen?", []),  # a resident's story: not asked about
    ("Wat vindt minister Verhoeven van de propositie?", []),  # a name: asks_about_name's
    # whom a request is to
    ("Welke randvoorwaarden vragen gemeenten in het pamflet aan de provincies?", ["provincies"]),
    ("Wat vragen gemeenten aan het rijk?", []),
    ("Een inwoner vraagt aan de balie hoe het zit met schuldhulp. Wat doen gemeenten?", []),  # a story
])
def test_the_words_a_question_asks_about_that_no_document_holds(question, subjects):
    assert [word for word, _ in READER.read(question).unknown_subjects] == subjects


def test_a_compound_subject_carries_the_known_words_it_is_made_of():
    assert READER.read("Wat is de rol van de inkomensbegeleiding?").unknown_subjects == (
        ("inkomensbegeleiding", ("inkom", "beleid")),)  # stems, as word_stems makes them


@pytest.mark.parametrize("question, about_sources", [
    ("Uit welk rapport komt dat cijfer?", True),
    ("Welke bronnen noemt de propositie over armoede?", True),
    ("Uit welk jaar is de vorige propositie?", True),  # the scope word, with a date asked for
    ("Wat zegt de propositie over armoede?", False),  # the scope of the question, not a source
    ("Wat is de rol van de huisarts volgens de stukken?", False),
])
def test_a_question_about_a_source_and_one_that_only_names_the_documents(question, about_sources):
    """Only a question about a source may be answered with a bibliography line."""
    assert READER.read(question).about_sources is about_sources


@pytest.mark.parametrize("question, claim", [
    ("Waar stond ook alweer dat gemeenten geen uitvoeringsloket zijn?", "gemeenten geen uitvoeringsloket zijn"),
    ("Welk document zei dat inwoners tussen wal en schip vallen?", "inwoners tussen wal en schip vallen"),
    ("Waar stond dat?", ""),  # "dat" points back: nothing named
    ("van zorg naar gezondheid - waar stond dat ook alweer?", ""),
    ("in welk stuk staat dat en welke voorbeelden geven ze?", ""),
    ("Wat doen gemeenten aan schulden?", ""),
])
def test_a_lookup_that_says_what_a_passage_says_keeps_it(question, claim):
    assert READER.read(question).claim == claim


@pytest.mark.parametrize(("question", "searched"), [
    ("Wat verstaan VNG en Divosa onder preventie?", "wat verstaan ze onder preventie?"),
    ("wat bedoelen de VNG en Divosa precies met bestaanszekerheid", "wat bedoelen ze met bestaanszekerheid"),
    ("Wat bedoelt de propositie met de sociale basis?", "wat bedoelt ze met de sociale basis?"),
    ("Noem drie dingen die gemeenten doen tegen armoede.", "Noem dingen die gemeenten doen tegen armoede."),
    ("geef me eens 5 voorbeelden van preventie", "geef me voorbeelden van preventie"),
    ("Wat vraagt de propositie op het thema wonen van het rijk?", "Wat vraagt de propositie over wonen van het rijk?"),
])
def test_whose_meaning_is_asked_the_theme_word_and_how_many_points_are_not_searched_for(question, searched):
    read = READER.read(question)
    assert read.retrieval_text == searched and read.text == question


@pytest.mark.parametrize("question", ["Wat vindt de SER van armoede?", "Wat vragen gemeenten van het rijk?",
                                      "Wat wordt bedoeld met preventie?", "Wat is de sociale basis?",
                                      "Wat zijn de drie thema's van de propositie?"])
def test_a_view_or_a_plain_question_is_searched_as_asked(question):
    assert READER.read(question).retrieval_text == question


@pytest.mark.parametrize(("question", "searched"), [
    ("Wat verstaan VNG en Divosa in de propositie precies onder de sociale basis?",
     "Wat verstaan precies onder de sociale basis?"),
    ("Hoeveel jongeren hebben volgens het pamflet schulden?", "Hoeveel jongeren hebben schulden?"),
    ("Welke cijfers noemt de propositie over overgewicht?", "Welke cijfers noemt over overgewicht?"),
    ("Naar welke rapporten verwijst de propositie bij de jeugdhulp?",
     "Naar welke rapporten verwijst bij de jeugdhulp?"),
])
def test_who_says_it_and_where_is_not_searched_for(question, searched):
    """The authors and the document frame a question: their names stand in every header and colophon."""
    read = READER.read(question)
    assert read.searched == searched and read.retrieval_text == read.text == question


@pytest.mark.parametrize("question", [
    "Wie hebben aan de propositie meegewerkt?",  # the frame is all it asks about
    "Meneer wil zelf de VNG een brief sturen. Wat is hun adres?",  # the VNG is who he writes to
    "Welke afspraken willen VNG en Divosa met het rijk maken?",  # "de VNG en Divosa willen ..." states the aim
])
def test_the_authors_asked_about_are_searched_for(question):
    read = READER.read(question)
    assert read.searched == read.retrieval_text


TITLED = QuestionReader(READER.keywords, READER.vocabulary, ("Investeer in de samenleving", "De propositie"))


@pytest.mark.parametrize("question, role, looked_up", [
    # someone's own words: said, or in the first person, and not asked where they stand
    ("Mevrouw zegt: 'ik slaap niet meer van de geldzorgen'. Zien gemeenten dat?", QuoteRole.WORDS, ""),
    ("Een collega zegt dat het niet mag 'vanwege de privacyregels'. Klopt dat?", QuoteRole.WORDS, ""),
    # what the documents say about the subject, not whether they hold the quote
    ("Een collega zegt dat het niet mag 'vanwege de AVG'. Wat staat daarover in de propositie?", QuoteRole.WORDS, ""),
    ("Meneer is boos: 'in die andere wijk krijgen ze alles'. Waarom is dat?", QuoteRole.WORDS, ""),
    # a document's title: a publication named before it, or most of a title
    ("Wat vragen gemeenten in het pamflet 'Investeer in de samenleving' van het rijk?", QuoteRole.TITLE, ""),
    ("Wat zegt de pagina 'Sociaal - speerpunten gemeenten' over wonen?", QuoteRole.TITLE, ""),
    # a source's title, told by its year: a fact asked about it is no lookup
    ("Hoeveel vacatures noemt de 'Stand van de Uitvoering Gemeenten' (2023)?", QuoteRole.TITLE, ""),
    # a phrase to look up, also in the first person when it is asked where it stands
    ("Waar stond 'je kansen mogen niet afhangen van je postcode'?", QuoteRole.LOOKUP,
     "je kansen mogen niet afhangen van je postcode"),
    ("Ik zoek het citaat 'voldoende en voorspelbaar inkomen'", QuoteRole.LOOKUP, "voldoende en voorspelbaar inkomen"),
    ("Where does it mention 'health in all policies'?", QuoteRole.LOOKUP, "health in all policies"),
    # an apostrophe opens no quote
    ("Welke thema's noemt de propositie en welke aanpak's?", QuoteRole.NONE, ""),
])
def test_a_quote_is_a_lookup_a_title_or_someones_words(question, role, looked_up):
    read = TITLED.read(question)
    assert (read.quote_role, read.quoted) == (role, looked_up)
    assert read.title == ("" if role != QuoteRole.TITLE else quoted_phrase(question))


@pytest.mark.parametrize("question, new", [
    # says so, or a complete question that points back at nothing
    ("Iets anders: welke pijnpunten noemt de VNG bij de decentralisaties?", True),
    ("Een meneer aan de balie heeft een stapel rekeningen die hij niet kan betalen. Hoe helpt de gemeente?", True),
    ("Wat doen gemeenten voor jongeren die 18 worden en uit de jeugdhulp gaan?", True),
    # points back: a pronoun, "daar", "ook", a demonstrative, "En ...", or too short to stand alone
    ("Waar moet dat geld dan precies voor gebruikt worden?", False),
    ("Hoe groot is dat verband volgens hun bron, en van welk instituut komt dat?", False),
    ("Wordt er ook een verband met huiselijk geweld gelegd?", False),
    ("En wat vragen gemeenten op het gebied van kinderopvang van het rijk?", False),
    ("Moeten daar wetten voor veranderen?", False),
    ("Wat vinden ze van de plannen van het kabinet voor de zorg?", False),
    ("Wat gebeurt daar dan?", False),
])
def test_a_question_in_a_conversation_starts_a_new_topic_or_follows_up(question, new):
    history = (Turn(Role.USER, "Wat zegt de propositie over overgewicht?"), Turn(Role.ASSISTANT, "..."))
    read = READER.read(question, history)
    assert read.new_topic is new
    assert (read.retrieval_text == question) is new, read.retrieval_text


@pytest.mark.parametrize("question, wants", [
    # a resident's story that asks for no kind of section gets what municipalities do first
    ("Mijn buurvrouw kan haar huur niet meer betalen en krijgt aanmaningen.", (SectionKind.MUNICIPALITY,)),
    ("Ik heb rekeningen die ik niet meer kan betalen", (SectionKind.MUNICIPALITY,)),
    # a staff question that asks for no kind stays open; one that asks for a kind keeps it
    ("Wat zegt de propositie over bestaanszekerheid?", ()),
    ("Mijn buurman vraagt waarom het zo lastig is om rond te komen", (SectionKind.PROBLEM,)),
])
def test_a_residents_story_wants_the_help_before_the_problem(question, wants):
    assert READER.read(question).wants == wants


def test_a_place_word_is_no_person_of_its_own():
    """'in', 'bij', 'gemeente' name no person: "ze" then points back into the conversation."""
    history = (Turn(Role.USER, "Wat doen gemeenten voor statushouders?"), Turn(Role.ASSISTANT, "..."))
    assert not READER.read("Welke plek krijgen ze in de gemeente om te wonen?", history).new_topic
