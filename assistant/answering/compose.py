"""The passages answer: the documents' own sentences that say what was asked.

A query-focused extractive answer, in four steps:

1. **Score** every sentence of the best passages with two signals: its cosine similarity to the
   question (its own stored e5 vector) and a keyword score (the question's rarity-weighted
   stems it holds, the vocabulary's expansion at half weight, since residents' words are not in
   the text). A sentence in the kind of section the question asks for (what municipalities do,
   what is asked of the rijk, the problem) gains; so does one in a higher-ranked passage.
2. **Re-rank** the best passages by their best sentence: the first passage shown is then the
   one whose sentence answers, not only the one whose words match (the section kind's gain is
   left out here: it says which sentences answer, not which passage is on the topic).
3. **Choose** with maximal marginal relevance (MMR): the best sentence first, then each next one
   by its score minus its similarity to what was chosen, so the answer covers distinct points;
   the length follows the question (a definition 1-3 sentences, "welke / noem / in een paar
   punten" questions their points), within a word budget.
4. **Respect structure**: a sentence that introduces a list (it ends in ":" and bullets follow,
   also in the next passages of the document) brings its items, each shown as a bullet with
   its first sentence; a bold lead-in ("Schulden.") is never a sentence of its own but labels
   its bullet; reading order is kept within each passage.

The result is a plan of spans; citations.py turns each into a quote that stands verbatim in the
source.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ..types import Chunk, Intent, Passage, Question, SectionKind, is_reference_entry, sentence_id
from .keywords import DutchKeywordIndex, fold

RERANK_DEPTH = 10  # how many of the best passages the best sentence may re-order
MIN_WORDS = 4  # shorter sentences are labels or fragments, never chosen alone
MAX_ITEMS = 8  # of one list
NUMBERED_HEADING = re.compile(r"^\d+[.)]\s")  # "2. Aandacht voor specifieke doelgroepen"
SENTENCE_STEMS_CACHED = 20_000  # sentences whose stems are kept (a few MB; bounded for large corpora)


@dataclass(frozen=True)
class Tuning:
    """The composition's weights, gathered (benchmarks/answers.py compares alternatives)."""

    passages: int = 4  # sentences are taken from this many best passages
    dense: float = 1.0  # weight of the sentence's min-max normalised cosine similarity
    keyword: float = 1.0  # of its rarity-weighted share of the question's stems
    expansion: float = 0.5  # the vocabulary's terms count this much of the question's own words
    prior: float = 0.5  # of the passage's normalised retrieval score
    kind: float = 0.25  # a sentence in the kind of section the question asks for
    heading: float = 0.25  # of the share of the question's weighted stems its section's headings hold
    rerank: float = 1.0  # of the best sentence's score when re-ordering passages
    mmr_lambda: float = 0.7  # relevance against novelty
    floor: float = 0.45  # a further sentence must score at least this share of the best one
    continuation: float = 0.2  # the next sentence of a chosen one's paragraph gains this share of its score,
    continue_from: float = 0.7  # when the chosen one scores at least this share of the best (no weak chains)
    lists: bool = True  # a list's introduction brings its items
    word_scale: float = 1.2  # of every budget's words


@dataclass(frozen=True)
class Budget:
    sentences: int
    words: int


BUDGETS = {
    Intent.DEFINITION: Budget(3, 80),
    Intent.POINTS: Budget(10, 120),
    Intent.REASON: Budget(6, 110),
    Intent.GENERAL: Budget(6, 110),
}
REDUNDANCY_FLOOR = 0.8  # e5 similarities are compressed: below this two sentences share little
SAME_SENTENCE_SHARE = 0.8  # of the shorter sentence's stems in the other: the same sentence, not chosen twice

SECTION_KINDS = (  # on the folded headings above a passage, the nearest heading first
    (SectionKind.REFERENCES, re.compile(r"\bbronvermelding|\bbronnen\b|\bliteratuur|\bcolofon\b"
                                         r"|\bnoten\b|\breferenties\b")),
    (SectionKind.RIJK, re.compile(r"\brijk\b|\bkabinet|\bvragen aan\b|\bwat (is|hebben (we|wij)) nodig\b|\bwat vragen\b"
                                  r"|\boproep\b|\baanbeveling|\bafspraken met\b|\bwensen\b")),
    (SectionKind.MUNICIPALITY, re.compile(r"\b(wij|we) als gemeenten?\b"
                                           r"|\bgemeenten (doen|investeren|verminderen|versterken|bieden)\b"
                                          r"|\bwat (wij|we|gemeenten) doen\b|\bonze (aanpak|inzet)\b"
                                          r"|\b(wij|we) (doen|investeren|verminderen|versterken|bieden)\b")),
    (SectionKind.PROBLEM, re.compile(r"\bopgave|\bprobleem|\bproblemen\b|\bknelpunt|\bpijnpunt|\buitdaging"
                                      r"|\baanleiding\b"
                                     r"|\burgentie\b")),
)


def section_kind(chunk: Chunk) -> SectionKind:
    """What the passage's section does, from its headings (a bullet's lead-in left out)."""
    headings = chunk.section[:-1] if chunk.lead and chunk.section and chunk.section[-1] == chunk.lead else chunk.section
    return _kind_of(headings)


@lru_cache(maxsize=4096)
def _kind_of(headings: tuple[str, ...]) -> SectionKind:
    """The kind the innermost telling heading gives (many passages share their headings)."""
    for heading in reversed(headings):
        folded = fold(heading)
        for kind, pattern in SECTION_KINDS:
            if pattern.search(folded):
                return kind
    return SectionKind.OTHER


@dataclass
class Candidate:
    rank: int  # of its passage
    chunk: Chunk
    index: int  # of the sentence in chunk.sentences
    span: tuple[int, int]  # in chunk.text; a bullet's label is included
    keyword: float  # the question's rarity-weighted stems it holds (0-1)
    cosine: float | None  # to the question; None when its vector is missing
    vector: np.ndarray | None
    words: int
    score: float = 0.0
    kind: float = 0.0  # of the score: for being in the kind of section the question asks for


@dataclass
class Unit:
    """One line of the answer: a sentence, or a list's item (shown as a bullet)."""

    chunk: Chunk
    span: tuple[int, int]
    rank: int  # the passage's rank after re-ranking; -1: a list item from a chunk not retrieved
    item: bool = False
    score: float = 0.0
    label: str = ""  # the heading of a headed list item, shown before its sentence


Item = tuple[Chunk, tuple[int, int], str]  # a list item: its chunk, its sentence's span, its heading label


@dataclass
class Composition:
    passages: list[Passage]  # re-ranked
    units: list[Unit]
    dropped: list[tuple[str, float]] = field(default_factory=list)  # the best sentences not chosen, for the trace


class Composer:
    """Composes the passages answer; `following(chunk, n)` and `preceding(chunk, n)` give the
    chunks after and before one in its document (a list may run over several)."""

    def __init__(self, keywords: DutchKeywordIndex, following: Callable[[Chunk, int], list[Chunk]],
                 preceding: Callable[[Chunk, int], list[Chunk]], tuning: Tuning = Tuning()):
        self.keywords = keywords
        self.following = following
        self.preceding = preceding
        self.tuning = tuning
        # the same passages come back for many questions: their sentences are stemmed once
        self._sentence_stems = lru_cache(maxsize=SENTENCE_STEMS_CACHED)(lambda text: frozenset(keywords.tokens(text)))

    # ------------------------------------------------------------------ scoring
    def candidates(self, question: Question, passages: list[Passage], vectors: dict[str, list[float]],
                   query_vector: list[float], depth: int) -> list[Candidate]:
        query = np.asarray(query_vector, dtype=np.float32)
        own, expansion = self._weights(question.retrieval_text), self._weights(question.expansion)
        # a bibliography entry answers only a question about a source ("uit welk rapport komt dat?"),
        # not one about where a sentence stands ("in welk stuk staat dat?")
        references = question.about_sources and not question.asks_where
        out: list[Candidate] = []
        for rank, passage in enumerate(passages[:depth]):
            chunk = passage.chunk
            for index, (start, end) in enumerate(chunk.sentences):
                if self.is_label(chunk, start, end):
                    continue
                if not references and is_reference_entry(chunk.text[start:end]):
                    continue
                with_label = index > 0 and self.is_label(chunk, *chunk.sentences[index - 1]) and bool(chunk.lead)
                span = (chunk.sentences[index - 1][0], end) if with_label else (start, end)
                raw = vectors.get(sentence_id(chunk.id, index))
                vector = None if raw is None else np.asarray(raw, dtype=np.float32)
                out.append(Candidate(rank, chunk, index, span,
                                     keyword=self._keyword_score(own, expansion, chunk.text[start:end]),
                                     cosine=None if vector is None else float(np.dot(query, vector)),
                                     vector=vector, words=len(chunk.text[span[0]:span[1]].split())))
        scores = [p.score for p in passages[:depth]]
        cosines = [c.cosine for c in out if c.cosine is not None]
        for c in out:
            dense = _normalised(c.cosine, cosines) if c.cosine is not None else 0.0
            t = self.tuning
            c.kind = t.kind if section_kind(c.chunk) in question.wants else 0.0
            prior = _relative(passages[c.rank].score, scores)
            # "op het thema bestaanszekerheid ... van het rijk": the headings say which list is meant
            heading = self._keyword_score(own, {}, " ".join(c.chunk.section)) if t.heading else 0.0
            c.score = t.dense * dense + t.keyword * c.keyword + t.prior * prior + c.kind + t.heading * heading
        return out

    def _weights(self, text: str) -> dict[str, float]:
        """The rarity weight of each stem of `text`."""
        return {token: self.keywords.rarity(token) for token in self.keywords.tokens(text)} if text else {}

    def _keyword_score(self, own: dict[str, float], expansion: dict[str, float], sentence: str) -> float:
        """The share of the question's weighted stems the sentence holds; the vocabulary's terms
        add at half weight, up to 1."""
        present = self._sentence_stems(sentence)
        total = sum(own.values()) or sum(expansion.values())
        if not total:
            return 0.0
        held = sum(w for t, w in own.items() if t in present)
        held += self.tuning.expansion * sum(w for t, w in expansion.items() if t in present and t not in own)
        return min(1.0, held / total)

    @staticmethod
    def is_label(chunk: Chunk, start: int, end: int) -> bool:
        """A bold lead-in ("Schulden."), a fragment too short to stand as a sentence, a question
        (a heading or a rhetorical one: it answers nothing) or the tail of a sentence that a
        page break cut (it starts in lower case)."""
        text = chunk.text[start:end].strip()
        bare = text.rstrip(".:")
        if chunk.lead and len(bare) == len(chunk.lead) and fold(bare) == fold(chunk.lead):
            return True
        return len(text.split()) < MIN_WORDS or text.endswith("?") or text[:1].islower()

    # ------------------------------------------------------------------ re-ranking
    def rerank(self, question: Question, passages: list[Passage], candidates: list[Candidate]) -> list[Passage]:
        """The best passages ordered by retrieval score plus their best sentence's score."""
        depth = min(RERANK_DEPTH, len(passages))
        best: dict[int, float] = {}
        for c in candidates:
            # the section's kind says which sentences answer, not which passage is on the topic:
            # with it, re-ranking put "what we do" passages of a neighbouring theme first; a
            # follow-up's pivot keeps it (the topic is the conversation's, the kind is new)
            best[c.rank] = max(best.get(c.rank, 0.0), c.score - (0.0 if question.pivots else c.kind))
        top = passages[:depth]
        scores = [p.score for p in top]

        def value(rank: int) -> float:
            return _relative(top[rank].score, scores) + self.tuning.rerank * best.get(rank, 0.0)

        order = sorted(range(depth), key=lambda r: -value(r))
        return [top[r] for r in order] + passages[depth:]

    def with_list_continuations(self, question: Question, passages: list[Passage]) -> list[Passage]:
        """For a question that asks for points, each passage the answer may draw on (the first
        `tuning.passages`) whose list runs on into the next chunks of its document brings those
        chunks right after it: the items are what such a question asks for, and retrieval ranks
        them low (an item's own words rarely match the question: "Verbinding. We zien in de
        praktijk ..." under "Zo sturen wij op samenhang:"). A brought chunk shares its
        introducing passage's score; one ranked higher already stays where it is."""
        if question.intent is not Intent.POINTS or not self.tuning.lists:
            return passages
        ordered = list(passages)
        for passage in passages[:self.tuning.passages]:
            at = next(i for i, p in enumerate(ordered) if p is passage)
            for chunk in self.list_continuation(passage.chunk):
                found = next((i for i, p in enumerate(ordered) if p.chunk.id == chunk.id), None)
                if found is not None and found <= at:
                    continue
                at += 1
                ordered.insert(at, ordered.pop(found) if found is not None else Passage(chunk, passage.score))
        return ordered

    def list_continuation(self, chunk: Chunk) -> list[Chunk]:
        """The next chunks holding items of the list whose introduction is the chunk's last
        paragraph (bullets may follow it in the chunk), in document order."""
        paragraphs = [block for block in chunk.blocks if block[2] != "bullet"]
        span = _introduction(chunk, paragraphs[-1]) if paragraphs else None
        if span is None:
            return []
        later: list[Chunk] = []
        for other, _, _ in self.list_items(chunk, span[1]):
            if other.id != chunk.id and not any(c.id == other.id for c in later):
                later.append(other)
        return later

    # ------------------------------------------------------------------ choosing
    def compose(self, question: Question, passages: list[Passage], vectors: dict[str, list[float]],
                query_vector: list[float]) -> Composition:
        """Re-rank the passages by their best sentence, then choose the answer's sentences."""
        scored = self.candidates(question, passages, vectors, query_vector, RERANK_DEPTH)
        ranked = self.rerank(question, passages, scored)
        new_rank = {id(p): r for r, p in enumerate(ranked)}
        for c in scored:
            c.rank = new_rank[id(passages[c.rank])]
        pool = [c for c in scored if c.rank < self.tuning.passages]
        budget = BUDGETS[question.intent]
        budget = Budget(budget.sentences, int(budget.words * self.tuning.word_scale))
        chosen: list[Candidate] = []
        units: list[Unit] = []
        words = 0
        best_score = max((c.score for c in pool), default=0.0)
        while pool and len(chosen) < budget.sentences and words < budget.words:
            pick = max(pool, key=lambda c: self._mmr(c, chosen))
            pool.remove(pick)
            if chosen and pick.score < self.tuning.floor * best_score:
                break
            if chosen and words + pick.words > budget.words:
                continue
            if any(self._says_the_same(pick, c) for c in chosen):
                continue  # another document's copy of a chosen sentence ("Geef op korte termijn helderheid ...")
            intro = self.list_introduction(pick.chunk, pick.span) if self.tuning.lists else None
            if intro and not any(_same_place(u, *intro) for u in units):
                # an item alone reads as a fragment ("De maatschappelijke dialoog te voeren ..."):
                # its list's introduction comes first (from its own passage when one was retrieved,
                # else with the item's), the item under it as a bullet
                units.append(Unit(intro[0], intro[1], _rank_of(intro[0], ranked, pick.rank), score=pick.score))
                words += len(intro[0].text[intro[1][0]:intro[1][1]].split())
                pool = [c for c in pool if not _same_place(c, *intro)]
            chosen.append(pick)
            words += pick.words
            self._continue(pick, pool, best_score)
            if intro:
                _place_item(units, Unit(pick.chunk, pick.span, pick.rank, item=True, score=pick.score), intro)
                continue
            introduces = self.tuning.lists and pick.chunk.text[:pick.span[1]].rstrip().endswith(":")
            items = self.list_items(pick.chunk, pick.span[1]) if introduces else []
            units.append(Unit(pick.chunk, pick.span, pick.rank, score=pick.score))
            for chunk, span, label in items:
                if any(_same_place(u, chunk, span) for u in units):
                    continue  # chosen already, as a sentence of its own
                size = len(chunk.text[span[0]:span[1]].split())  # a heading label is a few words more
                if words + size > budget.words + budget.words // 2:
                    break
                units.append(Unit(chunk, span, _rank_of(chunk, ranked, -1), item=True, label=label))
                words += size
                pool = [c for c in pool if not _same_place(c, chunk, span)]
        dropped = [(c.chunk.text[c.span[0]:c.span[1]][:80], round(c.score, 3))
                   for c in sorted(pool, key=lambda c: -c.score)[:3]]
        return Composition(ranked, _reading_order(units), dropped)

    def _continue(self, pick: Candidate, pool: list[Candidate], best_score: float) -> None:
        """The sentence after a strongly chosen one in its paragraph or bullet says more of the same
        point (what is asked of the rijk after the problem, the reason after the claim): it gains a
        share of the chosen sentence's score (a sentence window, chosen within the budget). Not
        after a weak choice: a chain of its neighbours would fill the answer."""
        if pick.score < self.tuning.continue_from * best_score:
            return
        start, end, _ = pick.chunk.block_of(pick.span[0])
        for c in pool:
            if c.chunk is pick.chunk and c.index == pick.index + 1 and start <= c.span[0] < end:
                c.score += self.tuning.continuation * pick.score

    def _says_the_same(self, a: Candidate, b: Candidate) -> bool:
        """Nearly all the content words of the shorter sentence stand in the other (MMR's
        penalty alone lets a second copy through when both score high)."""
        stems_a, stems_b = (self._sentence_stems(c.chunk.text[c.span[0]:c.span[1]]) for c in (a, b))
        smaller = min(len(stems_a), len(stems_b))
        return smaller > 0 and len(stems_a & stems_b) / smaller >= SAME_SENTENCE_SHARE

    def _mmr(self, candidate: Candidate, chosen: list[Candidate]) -> float:
        if not chosen:
            return candidate.score
        similarity = max(_similarity(candidate, c) for c in chosen)
        return self.tuning.mmr_lambda * candidate.score - (1 - self.tuning.mmr_lambda) * similarity

    def list_introduction(self, chunk: Chunk, span: tuple[int, int]) -> tuple[Chunk, tuple[int, int]] | None:
        """The sentence that introduces the list whose item `span` is: the last sentence before
        the item's run of bullets, in its chunk or, when the chunk starts inside the list, in an
        earlier chunk of its section; it ends in ":". None for a sentence not in a list."""
        start, _, kind = chunk.block_of(span[0])
        if kind != "bullet":
            return None
        def own_then_earlier():  # the earlier chunks are read only when the list starts before this one
            yield chunk
            yield from (c for c in self.preceding(chunk, MAX_ITEMS) if c.section == chunk.section)

        for other in own_then_earlier():
            before = [block for block in other.blocks if block[1] <= start] if other is chunk else list(other.blocks)
            while before and before[-1][2] == "bullet":
                before.pop()
            if before:
                span = _introduction(other, before[-1])
                return (other, span) if span else None
            if other.blocks and other.blocks[0][2] != "bullet":
                return None
        return None

    def list_items(self, chunk: Chunk, after: int) -> list[Item]:
        """The items of the list that the sentence ending at `after` introduces: the bullet blocks
        that follow it, in this chunk and the next ones of its section; each item's first
        sentence (with its lead-in). When the introduction ends its section and headed sections
        follow instead of bullets, those are the items (`headed_items`)."""
        items: list[Item] = []
        blocks = [b for b in chunk.blocks if b[0] >= after]
        following = self.following(chunk, MAX_ITEMS * 2)
        first = following[0] if following else None
        if not blocks and first and first.section != chunk.section and first.blocks and first.blocks[0][2] != "bullet":
            return self.headed_items(chunk, following)
        for other, other_blocks in [(chunk, blocks)] + [(c, list(c.blocks)) for c in following[:MAX_ITEMS]]:
            if other is not chunk and other.section[:len(chunk.section)] != chunk.section:
                break
            for start, end, kind in other_blocks:
                if kind != "bullet":
                    return items
                items.append((other, self._first_sentence(other, start, end), ""))
                if len(items) == MAX_ITEMS:
                    return items
        return items

    def headed_items(self, chunk: Chunk, following: list[Chunk]) -> list[Item]:
        """A list whose items are the headed sections after the introduction ("op de volgende
        terreinen:" then "Aanpak van armoede en schulden", "0-12 jarigen", ...): the first
        sentence of each section under the same parent heading, up to a numbered heading when the
        introduction's own is numbered (the next part of the document)."""
        parent, numbered = chunk.section[:-1], bool(NUMBERED_HEADING.match(chunk.section[-1] if chunk.section else ""))
        items: list[Item] = []
        previous = chunk.section
        for other in following:
            if other.section[:len(parent)] != parent or len(other.section) <= len(parent):
                break
            if numbered and NUMBERED_HEADING.match(other.section[len(parent)]):
                break
            if other.section != previous and other.blocks:
                items.append((other, self._first_sentence(other, *other.blocks[0][:2]), other.section[-1]))
                if len(items) == MAX_ITEMS:
                    break
            previous = other.section
        return items

    def _first_sentence(self, chunk: Chunk, start: int, end: int) -> tuple[int, int]:
        """The block's first sentence, with its lead-in ("Schulden. Inwoners die ...")."""
        inside = [s for s in chunk.sentences if start <= s[0] < end]
        if not inside:
            return (start, end)
        first = inside[0]
        if self.is_label(chunk, *first) and len(inside) > 1:
            return (first[0], inside[1][1])
        return (first[0], min(first[1], end))


def _normalised(value: float, values: list[float]) -> float:
    """`value` min-max normalised among `values` (1 when they are all equal)."""
    low, high = min(values), max(values)
    return (value - low) / (high - low) if high > low else 1.0


def _relative(value: float, values: list[float]) -> float:
    """A passage's retrieval score as a share of the best one's (fused scores are on one scale,
    and min-max would make the second of two passages worth nothing)."""
    best = max(values)
    return value / best if best > 0 else 1.0


def _similarity(a: Candidate, b: Candidate) -> float:
    """How much two sentences say the same, 0-1 (their cosine, rescaled above REDUNDANCY_FLOOR)."""
    if a.vector is not None and b.vector is not None:
        return max(0.0, (float(np.dot(a.vector, b.vector)) - REDUNDANCY_FLOOR) / (1 - REDUNDANCY_FLOOR))
    return 1.0 if a.chunk.id == b.chunk.id and a.index == b.index else 0.0


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _introduction(chunk: Chunk, block: tuple[int, int, str]) -> tuple[int, int] | None:
    """The block's last sentence when it introduces a list (it ends in ":")."""
    inside = [s for s in chunk.sentences if block[0] <= s[0] < block[1]]
    return inside[-1] if inside and chunk.text[inside[-1][0]:inside[-1][1]].rstrip().endswith(":") else None


def _rank_of(chunk: Chunk, ranked: list[Passage], absent: int) -> int:
    """The chunk's rank among the re-ranked passages; `absent` when it was not retrieved."""
    return next((r for r, p in enumerate(ranked) if p.chunk.id == chunk.id), absent)


def _same_place(unit: Unit | Candidate, chunk: Chunk, span: tuple[int, int]) -> bool:
    return unit.chunk.id == chunk.id and _overlaps(unit.span, span)


def _place_item(units: list[Unit], item: Unit, intro: tuple[Chunk, tuple[int, int]]) -> None:
    """Put a list item under its introduction, after the items that come before it in the document;
    a further sentence of an item already shown joins that item's bullet."""
    block = item.chunk.block_of(item.span[0])
    for unit in units:
        if unit.item and unit.chunk.id == item.chunk.id and unit.chunk.block_of(unit.span[0]) == block:
            unit.span = (min(unit.span[0], item.span[0]), max(unit.span[1], item.span[1]))
            return
    at = next(i for i, u in enumerate(units) if _same_place(u, *intro)) + 1
    while at < len(units) and units[at].item and _in_document(units[at]) < _in_document(item):
        at += 1
    units.insert(at, item)


def _in_document(unit: Unit) -> int:
    """Where the unit's text starts in its source file: a list's items keep the document's order
    also when they come from different passages."""
    return unit.chunk.offsets[unit.span[0]]


def _reading_order(units: list[Unit]) -> list[Unit]:
    """Sentences by passage, in text order within each; a list's items stay after their intro."""
    groups: list[list[Unit]] = []
    for unit in units:
        if unit.item and groups:
            groups[-1].append(unit)
        else:
            groups.append([unit])
    groups.sort(key=lambda g: (g[0].rank, g[0].span[0]))
    return [u for g in groups for u in g]
