"""Fixed Dutch texts the assistant says, kept in one place (code and tests check them)."""

REFUSAL = "Dat staat niet in de documenten die ik kan doorzoeken."
CLOSEST_TOPICS = "Wel staat er iets over:"
EMPTY_QUESTION = "Typ eerst een vraag, bijvoorbeeld: Wat vragen gemeenten van het rijk voor de jeugdhulp?"
QUESTION_TOO_LONG = "Uw vraag is te lang ({length} tekens). Houd het bij maximaal {limit} tekens."
SOURCES_HEADING = "Bronnen"
SOMETHING_WENT_WRONG = "Er ging iets mis bij het zoeken. Probeer het nog eens; blijft het misgaan, meld het dan."
MODE_LABELS = {
    "llm": "Antwoord met taalmodel",
    "passages": "Alleen passages (geen taalmodel ingesteld)",
}
