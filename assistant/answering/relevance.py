"""Is the answer in the documents? A verdict with its reasons.

Five rules, each a reason in the verdict (and so in the answer's trace):

1. **Confidence.** e5's cosine similarities are compressed (off-topic Dutch questions still reach
   0.75-0.83), so the best similarity, plus a bonus when BM25 found clear keyword evidence, must
   reach FOUND_THRESHOLD. This keeps out what is off topic ("Hoe bak ik pannenkoeken?").
2. **The asked-for fact.** A question that asks for an amount, a date, a duration, a contact, a
   procedure, a place or a person (answer_types.py) needs such a fact in a sentence about its
   focus among the best passages (a follow-up's focus includes its topic's). On-topic questions
   the documents cannot answer are mostly of this kind ("hoeveel euro is die 2%?", "tot wanneer
   kan ik ... aanvragen?"). A bibliography entry's year answers only a question about a source
   ("uit welk jaar is dat rapport?").
3. **Names.** A question about a name no document contains ("wat vindt minister X", "wie is X")
   is not answered; a name that is only context (a resident's name, their town) does not count.
4. **The subject.** A question with no distinctive word the documents hold, no everyday word the
   vocabulary translates, but words no document contains ("kat laten chippen", "grofvuil",
   "herindeling") is about something the documents do not cover, however close its phrasing. So
   is a question about a word no document holds ("wat is de rol van de huisarts?", "wat staat er
   over eenzaamheid?"), even where the vocabulary translates it for a resident's story, unless
   one of the best passages holds the words it is a compound of.
5. **A quoted phrase.** A citation lookup that quotes a phrase ("waar staat 'de burger als
   klant'?") is answered only when the phrase stands in one of the best passages, as typed or
   half-remembered: a sentence matches it closely character by character (a word misremembered
   still matches), or holds most of its words (the words in another order). A phrase made of
   the documents' vocabulary but said nowhere is close in meaning to many passages, so
   similarity alone would find it. A lookup that names its topic instead ("de passage over
   windmolens en zonneparken") needs a passage that holds most of the topic's words; one that says
   what the passage says ("waar stond dat gemeenten geen uitvoeringsloket zijn?") needs a sentence
   that holds most of its words. A lookup
   that a passage holds is not refused by rule 4 for a misremembered word no document holds.
"""

from __future__ import annotations

from rapidfuzz import fuzz

from ..types import Passage, Question, SearchResult, Verdict, is_reference_entry
from .answer_types import holds
from .keywords import fold, plain, word_stems

KEYWORD_EVIDENCE = 2.0  # a BM25 score that only real keyword matches reach
KEYWORD_BONUS = 0.03
EVIDENCE_PASSAGES = 3  # how many of the best passages may hold the asked-for fact
QUOTE_PASSAGES = 5  # how many of the best passages may hold a quoted phrase
QUOTE_MATCH = 75  # rapidfuzz partial_ratio (0-100) from which a sentence holds the phrase as remembered
QUOTE_WORDS = 0.75  # or the share of the phrase's content words a sentence holds (a topic's: a passage)
CLAIM_WORDS = 0.6  # the share of a claim's content words one sentence must hold (a word misremembered)


def judge(result: SearchResult, found_threshold: float) -> Verdict:
    question, signals = result.question, result.signals
    confidence = signals.similarity + (KEYWORD_BONUS if signals.keyword_best >= KEYWORD_EVIDENCE else 0.0)
    reasons, found = [], True
    if confidence >= found_threshold:
        reasons.append(f"confidence {confidence:.3f} >= {found_threshold}")
    else:
        found = False
        reasons.append(f"confidence {confidence:.3f} < {found_threshold}: not about these documents")
    if question.expected:
        wanted = ", ".join(f.name + (f" ({f.role})" if f.role else "") for f in question.expected)
        sentence = fact_sentence(result)
        if sentence is None:
            found = False
            reasons.append(f"asks for {wanted}: no sentence about its focus holds one")
        else:
            reasons.append(f"asks for {wanted}: held by {sentence[:120]!r}")
    looked_up = None  # a lookup's verdict: a passage says what it looks up, or none does
    if question.lookup:
        phrase = question.lookup
        match, share = quote_match(phrase, result.passages, whole_passage=phrase == question.topic)
        looked_up = _holds(question, match, share)
        found = found and looked_up
        reasons.append(f"looks up {phrase!r}: best match {match:.0f}, words {share:.2f} "
                       + ("- a passage holds it" if looked_up else "- no passage says it"))
    if not question.topic_focus and not question.cues and question.unknown_words and not looked_up:
        # a lookup that a passage holds is about the documents, a misremembered word notwithstanding
        found = False
        reasons.append(f"about {', '.join(question.unknown_words)}: no document holds those words")
    unheld = [word for word, parts in question.unknown_subjects if not _held_as_parts(parts, result.passages)]
    if unheld and not looked_up:
        found = False
        reasons.append(f"asks about {', '.join(unheld)}: no document holds the word")
    if question.asks_about_name:
        found = False
        reasons.append(f"asks about a name no document contains: {', '.join(question.unknown_names)}")
    elif question.unknown_names:
        reasons.append(f"names taken as context: {', '.join(question.unknown_names)}")
    return Verdict(found, confidence, tuple(reasons))


def fact_sentence(result: SearchResult) -> str | None:
    """The first sentence among the best passages that is about the question's focus and holds
    every kind of fact it asks for; None when there is none."""
    question = result.question
    for chunk in _evidence_chunks(result.passages):
        for sentence in chunk.sentence_texts():
            if not question.about_sources and is_reference_entry(sentence):
                continue  # "VNG, 'Titel' (2023)": the year a source appeared answers no other question
            # a follow-up's fact may be about its topic ("hoe groot is dat verband?" after a
            # question about debts and domestic violence)
            about_subject = not question.topic_focus or question.topic_focus & word_stems(sentence)
            folded = fold(sentence)
            if about_subject and all(holds(fact, sentence, folded) for fact in question.expected):
                return sentence
    return None


def _evidence_chunks(passages: list[Passage], depth: int = EVIDENCE_PASSAGES):
    for passage in passages[:depth]:
        yield passage.chunk
        yield from passage.copies


def _held_as_parts(parts: tuple[str, ...], passages: list[Passage]) -> bool:
    """Whether one of the best passages holds every part of a compound ("aanbieders van jeugdhulp"
    for "jeugdhulpaanbieder")."""
    return bool(parts) and any(set(parts) <= word_stems(chunk.text) for chunk in _evidence_chunks(passages))


def holds_lookup(question: Question, sentence: str) -> bool:
    """The sentence holds what the question looks up, by the rule of `judge` for one sentence."""
    phrase = question.lookup
    match = fuzz.partial_ratio(plain(phrase), plain(sentence))
    return _holds(question, match, _word_share(word_stems(phrase), sentence))


def _holds(question: Question, match: float, share: float) -> bool:
    """A quoted phrase or a topic is held by a close character match or most of its words; a claim
    only by its words (a clause of common words matches some sentence character by character
    almost anywhere)."""
    if question.lookup == question.claim:
        return share >= CLAIM_WORDS
    return match >= QUOTE_MATCH or share >= QUOTE_WORDS


def _word_share(wanted: set[str], text: str) -> float:
    """The share of the stems `wanted` that `text` holds."""
    return len(wanted & word_stems(text)) / len(wanted) if wanted else 0.0


def quote_match(phrase: str, passages: list[Passage], whole_passage: bool = False) -> tuple[float, float]:
    """How closely the best passages hold the phrase: the best fuzzy character match of a sentence
    (0-100) and the best share of its content words in one sentence (`whole_passage`: in one
    passage, for a topic)."""
    wanted, typed = word_stems(phrase), plain(phrase)
    best_match = best_share = 0.0
    for chunk in _evidence_chunks(passages, QUOTE_PASSAGES):
        texts = chunk.sentence_texts()
        for sentence in texts:
            best_match = max(best_match, fuzz.partial_ratio(typed, plain(sentence)))
        for text in [chunk.text] if whole_passage else texts:
            best_share = max(best_share, _word_share(wanted, text))
    return best_match, best_share
