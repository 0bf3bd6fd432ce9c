"""The data that flows down the answer path, on the ground floor: every stage imports these, no
stage is imported here.

    documents -> Chunk -> Question -> SearchResult (Passage, Verdict) -> Answer (NumberedPassage,
    Citation, TraceStep) -> AnswerUpdate (what a page or an API client receives while it streams)
"""

from __future__ import annotations

import re
import time
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"


class Mode(StrEnum):
    """Who wrote an answer: an LLM (checked against its passages) or the passages themselves."""

    PASSAGES = "passages"
    LLM = "llm"


class Intent(StrEnum):
    """What kind of answer a question asks for (question.py reads it, compose.py serves it)."""

    DEFINITION = "definition"  # "wat is / wat bedoelen ze met": 1-3 sentences
    POINTS = "points"  # "welke / noem / in een paar punten / lijstje": the points, as a list
    REASON = "reason"  # "waarom"
    GENERAL = "general"


class QuoteRole(StrEnum):
    """What a phrase in quotes is to the question (question.py): only a lookup must stand in a passage."""

    LOOKUP = "lookup"  # "waar staat 'pleisters plakken'?": a phrase to find
    TITLE = "title"  # "in het pamflet 'Investeer in de samenleving'": a document's title
    WORDS = "words"  # "'ik slaap niet meer van de geldzorgen' zegt mevrouw": someone's own words
    NONE = "none"  # nothing quoted


class SectionKind(StrEnum):
    """What a section of a policy proposition does (compose.py derives it from its heading)."""

    MUNICIPALITY = "municipality"  # what municipalities do for residents
    RIJK = "rijk"  # what is asked of the national government
    PROBLEM = "problem"  # the problem described
    REFERENCES = "references"  # sources, colophon
    OTHER = "other"


class PersonalData(StrEnum):
    """A kind of personal data and the placeholder that stands in for it (privacy.py)."""

    BSN = "[BSN]"
    IBAN = "[IBAN]"
    PHONE = "[TELEFOON]"
    EMAIL = "[E-MAIL]"
    ADDRESS = "[ADRES]"
    BIRTH_DATE = "[GEBOORTEDATUM]"
    NAME = "[NAAM]"


@dataclass(frozen=True)
class Redaction:
    """A text with its personal data replaced by placeholders, and which kinds were left out."""

    text: str
    kinds: tuple[PersonalData, ...]  # in the order first met; empty: nothing was left out

    @property
    def changed(self) -> bool:
        return bool(self.kinds)


@dataclass(frozen=True)
class GlossaryEntry:
    """A hard term of the documents with its explanation in plain Dutch (B1)."""

    term: str
    explanation: str


@dataclass(frozen=True)
class ReadingLevel:
    """How easy a text is to read (plain_language.py): B1 or not, and the figures behind it."""

    words_per_sentence: float
    reading_ease: float  # Flesch-Douma
    rare_share: float  # share of content words that are rare in everyday Dutch
    b1: bool


# ------------------------------------------------------------------ documents and chunks
@dataclass(frozen=True)
class SourceMap:
    """Where each character of a cleaned text stood in its source file.

    Stored as runs, stretches copied unchanged from the source, so that a passage costs a few
    numbers rather than one per character (memory would otherwise grow ~40 bytes per character
    of the corpus). `source_map[i]` is the source position of text[i].
    """

    starts: tuple[int, ...]  # position in the text where each run begins (the first is 0)
    sources: tuple[int, ...]  # position in the source of each run's first character
    length: int

    @classmethod
    def of(cls, offsets: Sequence[int]) -> SourceMap:
        starts, sources = [], []
        for i, offset in enumerate(offsets):
            if not starts or offset != offsets[i - 1] + 1:
                starts.append(i)
                sources.append(offset)
        return cls(tuple(starts), tuple(sources), len(offsets))

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int) -> int:
        if not 0 <= i < self.length:
            raise IndexError(f"position {i} outside a text of {self.length} characters")
        run = bisect_right(self.starts, i) - 1
        return self.sources[run] + i - self.starts[run]

    def __iter__(self) -> Iterator[int]:
        ends = self.starts[1:] + (self.length,)
        for start, end, source in zip(self.starts, ends, self.sources, strict=True):
            yield from range(source, source + end - start)

    def jumps(self, start: int, end: int, more_than: int) -> list[int]:
        """Positions i in (start, end) where the source skips more than `more_than` characters
        between text[i - 1] and text[i]."""
        first = bisect_right(self.starts, start)
        return [i for i in self.starts[first:bisect_right(self.starts, end - 1)]
                if self[i] - self[i - 1] > more_than]


@dataclass
class Block:
    """A structural piece of a document: heading, paragraph or bullet item."""

    kind: str  # "heading" | "paragraph" | "bullet"
    text: str
    offsets: SourceMap  # offsets[i] = position in the source of text[i]
    level: int = 0  # heading level (1 = chapter)
    lead: str = ""  # bold lead-in of a bullet or paragraph ("Inkomen")


PUBLIC_AUDIENCE = "openbaar"  # a document everyone may read, signed in or not


@dataclass
class Document:
    name: str  # file name: the citation key
    source: str  # the file's text as it stands
    title: str
    organisation: str = ""
    kind: str = ""
    date: str | None = None
    citation_author: str = ""
    blocks: list[Block] = field(default_factory=list)
    # who may read it: PUBLIC_AUDIENCE, or the groups (of the identity provider or LOGIN_GROUPS) that may
    audience: tuple[str, ...] = (PUBLIC_AUDIENCE,)


@dataclass(frozen=True)
class Reader:
    """Who asks, as far as the documents are concerned: a signed-in user, a login, a token, or
    nobody in particular. Passages, quotes, counts and document lists come only from documents
    whose audience this reader is in (Pipeline.for_reader)."""

    subject: str = ""  # the identity provider's subject id, a login name, or "" (anonymous); never a person's name
    groups: frozenset[str] = frozenset()
    admin: bool = False  # may manage the documents and read the Inzichten tab

    def may_read(self, document: Document) -> bool:
        return PUBLIC_AUDIENCE in document.audience or bool(self.groups.intersection(document.audience))


SECTION_SEPARATOR = " > "


def sentence_id(chunk_id: str, index: int) -> str:
    """The id of a sentence's vector in the store."""
    return f"{chunk_id}:{index}"


# A bibliography entry ("SCP, 'Gezien, gehoord en geholpen willen worden' (2023)"): it answers
# only a question about a source (Question.about_sources), never another one
REFERENCE_ENTRY = re.compile(r"['‘’\"“”].{6,}['‘’\"“”].{0,40}\((?:19|20)\d{2}\)\s*\.?$"
                             r"|['’\"”]\s*\((?:19|20)\d{2}\)\s*\.?$")  # or the tail of a title cut at its "."


def is_reference_entry(sentence: str) -> bool:
    return bool(REFERENCE_ENTRY.search(sentence.strip()))


@dataclass(frozen=True)
class Chunk:
    id: str
    source: str  # the document's file name
    title: str  # the document's title
    section: tuple[str, ...]  # headings above the chunk, outermost first
    text: str
    offsets: SourceMap  # offsets[i] = position in the source file of text[i]
    sentences: tuple[tuple[int, int], ...]  # [start, end) of each sentence in text
    # [start, end, kind) of each block in text: "paragraph" | "bullet" (composition keeps lists whole)
    blocks: tuple[tuple[int, int, str], ...] = ()
    lead: str = ""  # the bold lead-in that labels this chunk's first block ("Schulden")

    @property
    def section_path(self) -> str:
        return SECTION_SEPARATOR.join(self.section)

    @property
    def embedding_text(self) -> str:
        """What the models see: the title and section path give a bare paragraph its topic."""
        return f"{SECTION_SEPARATOR.join((self.title, *self.section))}: {self.text}"

    def sentence_texts(self) -> list[str]:
        return [self.text[a:b] for a, b in self.sentences]

    def block_of(self, position: int) -> tuple[int, int, str]:
        """The block holding text[position] (the whole text as one paragraph when unknown)."""
        for block in self.blocks:
            if block[0] <= position < block[1]:
                return block
        return (0, len(self.text), "paragraph")


# ------------------------------------------------------------------ the question
@dataclass(frozen=True)
class Turn:
    role: Role
    content: str


@dataclass(frozen=True)
class ExpectedFact:
    """A kind of fact the question asks for ("hoeveel euro": an amount); see answer_types.py."""

    name: str
    role: str | None = None  # "wie is de voorzitter": the answer names the role too
    of: str | None = None  # "... van de VNG": and whose role it is


@dataclass(frozen=True)
class FactAsk:
    """One clause's ask for a fact: its kinds of fact, and the words the fact must stand beside."""

    facts: tuple[ExpectedFact, ...]
    focus: frozenset[str]  # the clause's distinctive stems, with a follow-up's topic


@dataclass(frozen=True)
class Question:
    """A question read once (question.py): every later stage reads these fields, none reads the
    text again."""

    text: str  # as asked (cleaned of control characters)
    history: tuple[Turn, ...]
    retrieval_text: str  # what retrieval searches: with the topic of a follow-up, or the LLM's rewrite
    searched: str  # what the search engines score: retrieval_text without its frame ("volgens de propositie")
    stems: frozenset[str]  # stemmed content words of the question as asked
    focus: frozenset[str]  # its distinctive stems (rare in the documents)
    topic_focus: frozenset[str]  # the same of retrieval_text: a follow-up's focus with its topic's
    fact_asks: tuple[FactAsk, ...]  # each clause that asks for a fact ("hoeveel ..., en uit welk onderzoek?")
    cues: tuple[str, ...]  # the vocabulary entries (everyday words) it holds
    expansion: str  # the documents' terms for those everyday words
    expansion_stems: frozenset[str]
    dutch: bool
    intent: Intent
    wants: tuple[SectionKind, ...]  # the kinds of section that answer it (empty: any)
    expected: tuple[ExpectedFact, ...]  # kinds of fact it asks for
    unknown_names: tuple[str, ...]  # capitalised words no document contains
    unknown_words: tuple[str, ...]  # its other content words no document contains, nor the vocabulary
    asks_about_name: bool  # one of those names is what it asks about ("wie is X", "minister X")
    # the words it asks about that no document holds as a word ("de rol van de huisarts"), each with
    # the stems of the known words it is a compound of (huis, arts): a passage holding those answers
    unknown_subjects: tuple[tuple[str, tuple[str, ...]], ...]
    first_person: bool
    about_sources: bool  # it asks about a source, a report, a publication ("uit welk jaar is dat rapport?")
    asks_where: bool  # it asks where a passage stands ("in welk stuk staat dat?"): the answer names it
    quoted: str = ""  # the phrase it looks up ("waar staat 'pleisters plakken'?"): it must stand in a passage
    quote_role: QuoteRole = QuoteRole.NONE  # what its quoted phrase is (a lookup is in `quoted`)
    title: str = ""  # the document title it quotes ("in het pamflet 'Investeer in de samenleving'")
    topic: str = ""  # what a lookup without quotes names ("de passage over windmolens"): a passage holds it
    claim: str = ""  # what a lookup says a passage says ("waar stond dat gemeenten ... zijn?"): a sentence holds it
    rewritten: bool = False  # retrieval_text is an LLM's stand-alone rewrite
    new_topic: bool = False  # asked in a conversation, but about a subject of its own: searched alone
    # a follow-up that names the kind of section it wants now ("en wat vragen ze van het rijk?"):
    # on the conversation's topic, that kind's passages come first
    pivots: bool = False

    @property
    def follow_up(self) -> bool:
        return any(t.role == Role.USER for t in self.history)

    @property
    def lookup(self) -> str:
        """What a citation lookup looks up: its quoted phrase, claim or topic ("" for other questions)."""
        return self.quoted or self.claim or self.topic


# ------------------------------------------------------------------ retrieval and relevance
@dataclass
class Passage:
    """A retrieved passage; `copies` are other documents stating the same thing."""

    chunk: Chunk
    score: float
    copies: list[Chunk] = field(default_factory=list)

    @property
    def sources(self) -> list[str]:
        return [self.chunk.source] + [c.source for c in self.copies if c.source != self.chunk.source]


@dataclass(frozen=True)
class Signals:
    """What retrieval measured for the relevance decision and the trace."""

    similarity: float  # best cosine similarity of a passage to the question (see retrieval.py)
    keyword_best: float  # best BM25 score of the question's own words
    dense_top: list[tuple[str, float]] = field(default_factory=list)  # (chunk id, score), best first
    keyword_top: list[tuple[str, float]] = field(default_factory=list)
    fused_top: list[tuple[str, float]] = field(default_factory=list)


@dataclass(frozen=True)
class Verdict:
    """Is the answer in the documents? With the reasons, in English, for the trace."""

    found: bool
    confidence: float  # the probability that the documents answer it (answerability.py)
    reasons: tuple[str, ...]
    evidence: dict[str, float] = field(default_factory=dict, compare=False)  # the measures it weighed


NOT_JUDGED = Verdict(False, 0.0, ("not judged yet",))


@dataclass
class SearchResult:
    question: Question
    passages: list[Passage]
    signals: Signals
    query_vector: list[float] = field(repr=False, default_factory=list)
    verdict: Verdict = NOT_JUDGED

    @property
    def found(self) -> bool:
        return self.verdict.found

    @property
    def confidence(self) -> float:
        return self.verdict.confidence


# ------------------------------------------------------------------ answers
@dataclass(frozen=True)
class Citation:
    number: int  # the [n] marker in the answer
    source: str  # the document's file name
    title: str
    section: tuple[str, ...]
    quote: str


@dataclass
class NumberedPassage:
    number: int
    passage: Passage
    highlights: list[tuple[int, int]]  # sentence spans in passage.chunk.text that answer
    reference: str

    @property
    def chunk(self) -> Chunk:
        return self.passage.chunk


@dataclass(frozen=True)
class TraceStep:
    """One step of how an answer came about: its name, its figures, its time."""

    step: str
    fields: dict
    ms: float = 0.0

    def as_json(self) -> dict:
        return {"step": self.step, **self.fields, "ms": round(self.ms, 1)}


class Trace:
    """The steps of one answer, each timed from the end of the one before."""

    def __init__(self) -> None:
        self.steps: list[TraceStep] = []
        self._last = time.perf_counter()

    def add(self, step: str, **fields) -> None:
        now = time.perf_counter()
        self.steps.append(TraceStep(step, fields, (now - self._last) * 1000))
        self._last = now

    def as_json(self) -> list[dict]:
        return [s.as_json() for s in self.steps]


@dataclass
class Answer:
    question: str
    found: bool
    mode: Mode
    text: str
    citations: list[Citation]
    passages: list[NumberedPassage] = field(default_factory=list)
    notice: str = ""  # why the answer is not what was asked for (LLM fell back, ...)
    trace: list[TraceStep] = field(default_factory=list)
    personal_data: tuple[PersonalData, ...] = ()  # kinds left out of the question before it was read
    glossary: list[GlossaryEntry] = field(default_factory=list)  # resident answers: the hard words explained
    reading_level: ReadingLevel | None = None  # resident answers written by an LLM: its lead measured
    referral: str = ""  # the municipality's own line for the resident (REFERRAL_TEXT)
    # not found, but the documents speak about the topic: what they leave out, then the closest passage
    partial: bool = False
    llm_model: str = ""  # the LLM that wrote part of the text (Mode.LLM); "" for the documents' own sentences

    @property
    def cited_passages(self) -> list[NumberedPassage]:
        numbers = {c.number for c in self.citations}
        return [p for p in self.passages if p.number in numbers]


@dataclass
class AnswerUpdate:
    """A step of a streamed answer: the checked text so far; `answer` is set on the last step only."""

    text: str
    answer: Answer | None = None
