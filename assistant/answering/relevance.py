"""Is the answer in the documents? A verdict with its reasons.

The stage measures the evidence (`Relevance.evidence`) and a learned model weighs it
(answerability.py): no single measure vetoes. What it measures:

- **Closeness.** e5's best cosine similarity of a passage or sentence (compressed: off-topic Dutch
  questions still reach 0.75-0.83), the best BM25 score of the question's own words, and how far the
  best passage stands ahead of the fifth.
- **The asked-for fact.** A question that asks for an amount, a date, a duration, a contact, a
  procedure, a place or a person (answer_types.py) needs such a fact in a sentence about its focus
  among the best passages (a follow-up's focus includes its topic's); measured is whether one holds
  it and how much of the question's focus stands beside it ("hoeveel kinderen ..." held by a number
  of adults is a near miss). A bibliography entry's year answers only a question about a source.
- **A looked-up phrase.** A citation lookup ("waar staat 'de burger als klant'?") should stand in
  one of the best passages, as typed or half-remembered: the best character match of a sentence and
  the share of its words one sentence holds (for a topic: one passage). A resident's words or a
  document's title in quotes are no lookup (question.py).
- **What the documents do not hold.** A question whose words no document holds ("kat laten
  chippen"), a subject no document names ("de rol van de huisarts") unless a passage holds the words
  of its compound, a name it asks about that no document contains ("wat vindt minister X"), the
  share of its rarer words no best passage holds, and what happened after the documents were written
  ("is dat inmiddels overgenomen?").

How the question is put (a follow-up, a first-person story, a resident's name or town, English) is
not measured: it says nothing about whether the documents hold the answer, and a model given it
learned who wrote the questions it was trained on.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from rapidfuzz import fuzz

from ..types import Passage, Question, QuoteRole, SearchResult, Verdict, is_reference_entry
from .answer_types import holds
from .answerability import ANSWER_THRESHOLD, DEFAULT_MODEL, AnswerabilityModel
from .grounding import Synonyms
from .keywords import DutchKeywordIndex, dutch_word, fold, mostly_dutch, plain, word_stems
from .vocabulary import key_matches

KEYWORD_EVIDENCE = 2.0  # a BM25 score that only real keyword matches reach
EVIDENCE_PASSAGES = 3  # how many of the best passages may hold the asked-for fact
QUOTE_PASSAGES = 5  # how many of the best passages may hold a quoted phrase
QUOTE_MATCH = 75  # rapidfuzz partial_ratio (0-100) from which a sentence holds the phrase as remembered
QUOTE_WORDS = 0.75  # or the share of the phrase's content words a sentence holds (a topic's: a passage)
CLAIM_WORDS = 0.6  # the share of a claim's content words one sentence must hold (a word misremembered)
COVERAGE_PASSAGES = 3  # the passages whose words count as holding the question's words
GAP_RANK = 5  # the passage the best one is measured against
PUNCTUATION = "?.,!:;'\"()"
CUES_COUNTED = 3  # vocabulary cues count up to this many
# What happened after the documents were written: a reaction, an outcome, "inmiddels" (no year:
# the documents' own plans and projections run to 2026 and 2040; no "nog steeds": the documents say
# it of themselves, "onze propositie is nog steeds actueel")
AFTER_PUBLICATION = re.compile(r"\b(?:inmiddels|uiteindelijk|sindsdien|intussen|reactie|overgenomen"
                               r"|(?:ge)?reage(?:er|re)\w*|regeerakkoord|nieuwe kabinet)\b")

# The measures, in the model's order, each with the words a person reads in the trace
FEATURES = {
    "similarity": "closeness of the best passage (e5)",
    "keyword_best": "keyword score of the question's own words",
    "keyword_evidence": "clear keyword evidence",
    "cues": "everyday words the vocabulary translates into the documents' terms",
    "dense_gap": "lead of the best passage over the fifth",
    "asks_fact": "asks for a specific fact",
    "fact_missing": "no sentence about its focus holds the fact",
    "fact_focus": "share of the focus beside the fact",
    "lookup": "looks up a phrase",
    "lookup_held": "a passage holds the phrase",
    "lookup_match": "character match of the phrase",
    "lookup_share": "share of the phrase's words in one sentence",
    "quoted_title": "quotes a document's title",
    "quoted_words": "quotes someone's own words",
    "unknown_only": "only words no document holds",
    "unknown_subject": "asks about a word no document holds",
    "asks_about_name": "asks about a name no document holds",
    "uncovered": "share of its rarer words no best passage holds",
    "uncovered_rarest": "rarity of the rarest word no best passage holds",
    "after_publication": "asks what happened after the documents",
}


class Relevance:
    """The relevance stage: the evidence of a search result, weighed by the answerability model."""

    def __init__(self, keywords: DutchKeywordIndex, model: AnswerabilityModel | None = None,
                 threshold: float = ANSWER_THRESHOLD):
        self.keywords = keywords
        self.model = model or AnswerabilityModel.load(DEFAULT_MODEL, tuple(FEATURES))
        self.threshold = threshold

    def judge(self, result: SearchResult) -> Verdict:
        values, notes = self.evidence(result)
        probability = self.model.probability(values)
        found = probability >= self.threshold
        weighed = ", ".join(f"{FEATURES[name]} {values[name]:.2f} ({share:+.1f})"
                            for name, share in self.model.weighed_most(values))
        reasons = (f"answerable with probability {probability:.2f} {'>=' if found else '<'} {self.threshold:.2f}"
                   + ("" if found else ": not in these documents"), f"weighed most: {weighed}", *notes)
        return Verdict(found, probability, reasons, values)

    def evidence(self, result: SearchResult) -> tuple[dict[str, float], list[str]]:
        """The measures the model weighs, and notes a person reads in the trace."""
        question, signals = result.question, result.signals
        notes = []
        fact, fact_focus = fact_sentence(result) if question.expected else (None, 0.0)
        if question.expected:
            wanted = ", ".join(f.name + (f" ({f.role})" if f.role else "") for f in question.expected)
            notes.append(f"asks for {wanted}: " + (f"held by {fact[:120]!r}" if fact else
                                                   "no sentence about its focus holds one"))
        match = share = 0.0
        looked_up = False
        # Words are evidence that the documents lack something only in the documents' language: an
        # English question's own words, and an English phrase it looks up, are absent from Dutch text
        # whatever the text says (a Dutch word it quotes, or an English phrase the text holds, counts)
        foreign = not question.dutch
        lookup = question.lookup
        if lookup:
            match, share = quote_match(lookup, result.passages, whole_passage=lookup == question.topic)
            looked_up = _holds(question, match, share)
            notes.append(f"looks up {lookup!r}: best match {match:.0f}, words {share:.2f} "
                         + ("- a passage holds it" if looked_up else "- no passage says it"))
            if foreign and not looked_up and not mostly_dutch(lookup):
                lookup, match, share = "", 0.0, 0.0
                notes.append("the phrase is not Dutch: that no passage says it is not counted")
        if question.quote_role in (QuoteRole.TITLE, QuoteRole.WORDS):
            notes.append(f"quotes {'a title' if question.quote_role == QuoteRole.TITLE else 'own words'}, "
                         "not a phrase to look up")
        unknown_only = not question.topic_focus and not question.cues and bool(question.unknown_words) \
            and not (foreign and not any(dutch_word(word) for word in question.unknown_words))
        if unknown_only:
            notes.append(f"about {', '.join(question.unknown_words)}: no document holds those words")
        unheld = [word for word, parts in question.unknown_subjects if not _held_as_parts(parts, result.passages)
                  and (not foreign or dutch_word(word))]
        if unheld:
            notes.append(f"asks about {', '.join(unheld)}: no document holds the word")
        if question.asks_about_name:
            notes.append(f"asks about a name no document contains: {', '.join(question.unknown_names)}")
        elif question.unknown_names:
            notes.append(f"names taken as context: {', '.join(question.unknown_names)}")
        after = bool(AFTER_PUBLICATION.search(fold(question.text)))
        if after:
            notes.append("asks what happened after the documents were written")
        dense = [score for _, score in signals.dense_top]
        uncovered, rarest = self.uncovered(question, result.passages)
        values = {
            "similarity": signals.similarity, "keyword_best": math.log1p(signals.keyword_best),
            "keyword_evidence": float(signals.keyword_best >= KEYWORD_EVIDENCE),
            "cues": float(min(len(question.cues), CUES_COUNTED)),
            "dense_gap": dense[0] - dense[GAP_RANK - 1] if len(dense) >= GAP_RANK else 0.0,
            "asks_fact": float(bool(question.expected)), "fact_missing": float(bool(question.expected) and not fact),
            "fact_focus": fact_focus, "lookup": float(bool(lookup)), "lookup_held": float(looked_up),
            "lookup_match": match / 100, "lookup_share": share,
            "quoted_title": float(question.quote_role == QuoteRole.TITLE),
            "quoted_words": float(question.quote_role == QuoteRole.WORDS),
            "unknown_only": float(unknown_only), "unknown_subject": float(bool(unheld)),
            "asks_about_name": float(question.asks_about_name),
            "uncovered": uncovered, "uncovered_rarest": rarest, "after_publication": float(after),
        }
        return values, notes

    def uncovered(self, question: Question, passages: list[Passage]) -> tuple[float, float]:
        """The rarity-weighted share of the question's words that none of the best passages holds,
        and the rarity of the rarest such word (as a share of the rarity of a word no text holds).
        Left out: names no document holds (a resident's name or town is context, a name asked about
        is measured apart), the everyday words the vocabulary translates into the documents' terms,
        and in a question not asked in Dutch, its words of another language."""
        names = {fold(name) for name in question.unknown_names}
        keys = [key for cue in question.cues for key in cue.split()]
        kept = [word for word in question.text.split() if (folded := fold(word.strip(PUNCTUATION))) not in names
                and not any(key_matches(key, folded) for key in keys)
                and (question.dutch or dutch_word(folded))]  # another language's words: see evidence()
        wanted = set(self.keywords.tokens(" ".join(kept)))
        if not wanted:
            return 0.0, 0.0
        held = set()
        for chunk in _evidence_chunks(passages, COVERAGE_PASSAGES):
            held.update(self.keywords.tokens(chunk.text))
        rarity = {token: self.keywords.rarity(token) for token in wanted}
        missing = [rarity[token] for token in wanted - held]
        unseen = self.keywords.rarity("")  # a token no text holds: rarest of all
        return sum(missing) / sum(rarity.values()), max(missing, default=0.0) / unseen


def fact_sentence(result: SearchResult) -> tuple[str | None, float]:
    """For each clause that asks for a fact (Question.fact_asks), the sentence among the best
    passages that holds its kinds of fact with most of its focus beside it; the first clause's
    sentence and the largest of those shares, or (None, 0.0) when a clause has none. The largest:
    a clause that asks a second fact of the same subject ("..., en van welk instituut komt dat?")
    has few words of its own, and its fact (a source) stands apart from them; the subject's own
    clause tells whether the fact is about the subject (docs/decisions.md)."""
    question = result.question
    # "VNG, 'Titel' (2023)": the year a source appeared answers no other question
    sentences = [(sentence, word_stems(sentence), fold(sentence))
                 for chunk in _evidence_chunks(result.passages) for sentence in chunk.sentence_texts()
                 if question.about_sources or not is_reference_entry(sentence)]
    found, shares = None, []
    for ask in question.fact_asks:
        best, best_share = None, 0.0
        for sentence, stems, folded in sentences:
            share = len(ask.focus & stems) / len(ask.focus) if ask.focus else 1.0
            if share > 0 and (best is None or share > best_share) \
                    and all(holds(fact, sentence, folded) for fact in ask.facts):
                best, best_share = sentence, share
        if best is None:
            return None, 0.0
        found = found or best
        shares.append(best_share)
    return found, max(shares, default=0.0)


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
    """The share of the stems `wanted` that `text` holds, itself or as a vetted synonym ("genoeg
    geld" in "voldoende middelen": a lookup remembers the meaning, not always the word)."""
    if not wanted:
        return 0.0
    held, synonyms = word_stems(text), _synonyms()
    return sum(1 for token in wanted if token in held or synonyms.stems_of(token) & held) / len(wanted)


@lru_cache(maxsize=1)
def _synonyms() -> Synonyms:
    return Synonyms.load()


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
