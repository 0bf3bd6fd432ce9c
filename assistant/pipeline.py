"""Assembling the pipeline: settings -> documents -> chunks -> embeddings -> store -> retriever.

The command line and the chat page both start here; nothing here knows about either.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from .answering.answer import Answerer
from .answering.answerability import AnswerabilityModel
from .answering.compose import Composer
from .answering.grounding import Grounder
from .answering.llm import LLMWriter
from .answering.plain_language import Glossary
from .answering.question import QuestionReader
from .answering.relevance import Relevance
from .answering.retrieval import Corpus, HybridRetriever
from .answering.vocabulary import DomainVocabulary
from .config import Settings
from .index.chunking import stream_chunks
from .index.documents import SkippedFile, document_paths, iter_documents
from .index.embeddings import QueryBatcher, load_embeddings, model_identity
from .index.index_build import IndexReport
from .index.served import ServedChunks, ServedDocuments, serve
from .index.store import IndexNotReady, PassageStore, StoreUnavailable, connect
from .privacy import PersonalDataFilter
from .types import Chunk, Document, Mode, Reader

log = logging.getLogger(__name__)


REFRESH_SECONDS = 2.0  # how often a running page looks whether a finished build switched the index
# Searched at once before the first user (Pipeline.warm_up): questions of a few lengths, none of them
# a benchmark's, so that ONNX Runtime has sized its buffers for a batch and the saved keyword index
# is paged in.
WARM_UP_QUESTIONS = (
    "Wat is de sociale basis?", "Wat vragen gemeenten van het rijk?", "Hoe helpen gemeenten inwoners met schulden?",
    "Wat staat er over wonen en dakloosheid?", "Welke wetten moeten eenvoudiger volgens de gemeenten?",
    "Mijn buurman kan zijn rekeningen niet meer betalen en weet niet waar hij heen moet. Wat doet de gemeente?",
    "Wat bedoelen ze met preventie in het sociaal domein?", "Wie hebben de propositie geschreven?",
)


@dataclass
class Pipeline:
    settings: Settings
    documents: ServedDocuments
    chunks: ServedChunks
    store: PassageStore
    retriever: HybridRetriever
    answerer: Answerer
    switching: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def mode(self) -> Mode:
        """How answers are written: by an LLM when one is configured, else the passages."""
        return self.answerer.mode

    def document_list(self) -> list[dict]:
        """The documents served: source, title, kind, organisation, date, passages, when indexed."""
        counts = self.chunks.counts()
        indexed_at = self.store.indexed_at()
        return [{"source": d.name, "title": d.title, "kind": d.kind, "organisation": d.organisation, "date": d.date,
                 "chunks": counts.get(d.name, 0), "indexed_at": indexed_at.get(d.name)}
                for d in self.documents.descriptions()]

    def for_reader(self, reader: Reader | None) -> Pipeline:
        """This pipeline as `reader` sees it: the documents they may not read are left out of the
        store's query, the keyword scores, quotes, the document list and "Bekijk in document". The
        page, the API, the chat endpoint and MCP ask through it; None (the command line, an
        evaluation, run by whoever holds the documents folder) sees every document."""
        hidden = self.documents.hidden_from(reader) if reader is not None else frozenset()
        if not hidden:
            return self
        documents = self.documents.without(hidden)
        retriever = self.retriever.model_copy(update={"hidden": hidden})
        answerer = copy.copy(self.answerer)
        answerer.retriever, answerer.documents = retriever, documents
        return replace(self, documents=documents, retriever=retriever, answerer=answerer)

    def refresh(self) -> bool:
        """Follow a finished index build (`index`, `index --rebuild`, another machine's build):
        when the store serves a new generation, the documents are read again and the answer path
        is assembled around them; requests in flight finish on the old one. True when it switched."""
        with self.switching:  # the follower thread and a build from the page may both look
            return self._refresh()

    def _refresh(self) -> bool:
        if not self.store.refresh():
            return False
        documents, chunks = read_served(self.settings)
        try:
            self.store.check_ready(chunks.ids)
        except IndexNotReady as reason:
            log.warning("The index switched to generation %d, but it does not match the documents here (%s): "
                        "answering from it with the documents read before", self.store.generation.number, reason)
            return True
        fresh = assemble(self.settings, documents, chunks, self.store, self.answerer.writer,
                         self.answerer.relevance.model)
        self.documents, self.chunks, self.retriever, self.answerer = (
            fresh.documents, fresh.chunks, fresh.retriever, fresh.answerer)
        log.info("Serving index generation %d (%d passages)", self.store.generation.number, len(chunks))
        return True

    def reindex(self, on_document: Callable[[int, int], None] | None = None) -> IndexReport:
        """Build the index from the documents folder as it is now (the page's Documenten tab) and
        then serve it. The build writes a new generation through a store of its own, so this
        pipeline answers from the complete previous index until the new one is complete."""
        builder = PassageStore(self.settings.vectorstore_dir, self.settings.collection, self.store.embeddings,
                               self.store.model_identity, self.store.client)
        report = build_index(self.settings, progress=False, store=builder, on_document=on_document)
        self.refresh()
        return report

    def warm_up(self) -> None:
        """Search WARM_UP_QUESTIONS together, as users arriving at once would: the first real users
        then meet no cold start (about half a second, once). Search only: an LLM is never asked."""
        with ThreadPoolExecutor(len(WARM_UP_QUESTIONS)) as pool:
            list(pool.map(self.answerer.search, WARM_UP_QUESTIONS))

    def watch(self, every: float = REFRESH_SECONDS) -> None:
        """Refresh in the background for as long as the process runs (the page and the API)."""

        def follow() -> None:
            while True:
                time.sleep(every)
                try:
                    self.refresh()
                except StoreUnavailable as down:  # the page tells its users; here it is only logged
                    log.warning("Cannot look for a new index: %s", down)
                except Exception:  # noqa: BLE001 - a failed refresh must not stop the following ones
                    log.exception("Following the index failed")

        threading.Thread(target=follow, name="index-follower", daemon=True).start()


def load_chunks(settings: Settings, progress: bool = False) -> list[Chunk]:
    return list(stream_chunks(iter_documents(settings.seeds_dir, progress), settings.cache_dir))


def read_served(settings: Settings, progress: bool = False) -> tuple[ServedDocuments, ServedChunks]:
    """The documents of SEEDS_DIR and their chunks, read one document at a time and kept on disk
    (served.py): the answer path reads their text when it needs it. Files that cannot be read are
    left out, and listed with their reasons (`ServedDocuments.skipped`)."""
    skipped: list[SkippedFile] = []
    documents, chunks = serve(iter_documents(settings.seeds_dir, progress, skipped=skipped), settings.cache_dir)
    documents.skipped = tuple(skipped)
    return documents, chunks


def open_store(settings: Settings) -> PassageStore:
    """The embedded store under VECTORSTORE_DIR, or the Chroma server when CHROMA_HOST is set."""
    client = connect(settings.vectorstore_dir, settings.chroma_host, settings.chroma_port, settings.chroma_timeout,
                     settings.chroma_token, settings.chroma_ssl)
    return PassageStore(settings.vectorstore_dir, settings.collection, QueryBatcher(load_embeddings(settings)),
                        model_identity(settings), client)


def build_index(settings: Settings, rebuild: bool = False, progress: bool = True,
                store: PassageStore | None = None,
                on_document: Callable[[int, int], None] | None = None,
                skipped: list[SkippedFile] | None = None) -> IndexReport:
    """Read, chunk and store the documents one at a time (a per-document progress bar, and
    `on_document(done, total)` before each), so the build's memory does not grow with the corpus.
    Files that cannot be read are skipped and added to `skipped`."""
    documents = iter_documents(settings.seeds_dir, progress, description="Indexeren", skipped=skipped)
    if on_document is not None:
        documents = _counted(documents, len(document_paths(settings.seeds_dir)), on_document)
    store = store or open_store(settings)
    return store.sync(stream_chunks(documents, settings.cache_dir), rebuild=rebuild, progress=progress)


def _counted(documents: Iterator[Document], total: int,
             on_document: Callable[[int, int], None]) -> Iterator[Document]:
    for done, document in enumerate(documents):
        on_document(done, total)
        yield document
    on_document(total, total)


def load_pipeline(settings: Settings, build_if_needed: bool = True, progress: bool = True,
                  answerability: AnswerabilityModel | None = None) -> Pipeline:
    """Everything needed to answer; builds (or finishes) the index when it is not ready.
    `answerability`: the model relevance weighs its evidence with (default: the one shipped)."""
    documents, chunks = read_served(settings, progress)
    store = open_store(settings)
    try:
        store.check_ready(chunks.ids)
    except IndexNotReady as reason:
        if not build_if_needed:
            raise
        log.info("Index not ready (%s): building it", reason)
        build_index(settings, progress=progress, store=store)
    writer = LLMWriter(settings) if settings.llm_configured else None
    return assemble(settings, documents, chunks, store, writer, answerability)


def assemble(settings: Settings, documents: ServedDocuments, chunks: ServedChunks, store: PassageStore,
             writer: LLMWriter | None, answerability: AnswerabilityModel | None = None) -> Pipeline:
    """The answer path around a store and the documents it was built from."""
    corpus = Corpus(chunks, settings.cache_dir / "keywords")
    titles = tuple(d.title for d in documents.descriptions())
    reader = QuestionReader(corpus.keywords, DomainVocabulary.load(), titles)
    retriever = HybridRetriever(store=store, corpus=corpus, reader=reader, k=settings.top_k)
    answerer = Answerer(reader, retriever, store, Composer(corpus.keywords, corpus.following, corpus.preceding),
                        Grounder(corpus.keywords), documents, writer,
                        Relevance(corpus.keywords, answerability, settings.found_threshold), settings.llm_timeout,
                        privacy=PersonalDataFilter(names=settings.redact_names), glossary=Glossary.load(),
                        referral=settings.referral_text)
    return Pipeline(settings, documents, chunks, store, retriever, answerer)
