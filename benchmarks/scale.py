"""Indexing and search at 10x, 100x, 1000x the seeds: throughput, memory, disk, latency.

    python benchmarks/scale.py [--sizes 10 100] [--server] [--vectors model|reuse] [--precisions fp32 int8]
                               [--keep DIR] [--questions 40]

For each size a synthetic Dutch corpus is written from the seeds: their paragraphs shuffled and
recombined into documents of the seeds' average length, each with its own file name and heading
(so every chunk has its own id). Each step runs in a fresh subprocess (its peak memory is its
own). The build: read and chunk the documents (streamed, timed as "chunking"; this fills the
chunk cache), build the index as `python -m assistant index` does (`pipeline.build_index`: one
document at a time, batches, build state, lock). Then serving, twice, as a page starts
(`load_pipeline`: the documents and chunks, kept on disk and read when needed, and the keyword
index: the first start builds it and saves it beside the chunk cache, a later start loads the
saved files memory-mapped), then time 40 searches (the real e5 query embedding, Chroma, Dutch
BM25, fusion, re-ranking and relevance) and 40 passages answers (composition and verbatim
citations, which read the documents; --questions takes fewer, as the test's smoke run does).
Memory is the process's peak: "model MB" once the model is loaded, "index MB" through the
build, "serve MB" for the first and a later start. With --server the store is a `chroma run`
server on a free loopback port instead of the embedded store.

--vectors model embeds every chunk and sentence with the real model (what indexing costs on
this machine), and measures the model's own limit in the same process after the build: the
chunks per second the encoder alone embeds, each chunk with all of its sentences (LIMIT_SAMPLE
chunks of the corpus); "of limit" is the build's rate as a share of it, and "embedded" counts the
texts the model embedded (chunks and distinct sentences: the synthetic corpora repeat the seeds'
sentences, so the build's sentence memory saves more there than on real documents). --precisions builds each
size with each encoder precision (EMBEDDING_PRECISION), side by side. --vectors reuse embeds each
distinct sentence of the seeds once with the real model (kept under ASSISTANT_CACHE_DIR/scale-vectors
for later runs) and gives a chunk the normalised mean of its sentences' vectors (sentences are
reused verbatim by the recombination), so the store, the chunking and the search can be measured
at sizes the model alone would need hours for; indexing throughput is then the store's, not the
model's. The table says which.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import Settings  # noqa: E402
from assistant.index.chunking import chunk_documents  # noqa: E402
from assistant.index.documents import document_paths, iter_documents, load_documents  # noqa: E402

SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n")
SEARCHES = [
    "Wat vragen gemeenten van het rijk voor de jeugdhulp?", "Wat is bestaanszekerheid?",
    "Wat doen gemeenten aan schulden?", "Wat bedoelen ze met kansengelijkheid?",
    "Hoe willen gemeenten gezond samenleven versterken?", "Wat is de sociale basis?",
    "Ik kan de huur niet meer betalen", "Wat zeggen de stukken over statushouders?",
    "Welke wetten moeten eenvoudiger?", "Wat is uitvoerbaarheid?",
] * 4


def make_corpus(seeds: Path, factor: int, target: Path, seed: int = 13) -> int:
    """Write factor x the seeds' text as shuffled, recombined paragraphs; returns the bytes written."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(seeds.glob("*.txt"))]
    paragraphs = [p.strip() for text in texts for p in re.split(r"\n\s*\n", text)
                  if p.strip() and not p.lstrip().startswith("#")]
    average = sum(len(t) for t in texts) // len(texts)
    wanted, written, number = factor * sum(len(t) for t in texts), 0, 0
    rng = random.Random(seed)
    target.mkdir(parents=True, exist_ok=True)
    while written < wanted:
        body, size, section = [f"# Synthetisch document {number}"], 0, 0
        while size < average:
            if size // 2000 > section:
                section += 1
                body.append(f"## Deel {section}")
            paragraph = rng.choice(paragraphs)
            body.append(paragraph)
            size += len(paragraph)
        text = "\n\n".join(body) + "\n"
        (target / f"{number:06d}_synthetisch.txt").write_text(text, encoding="utf-8")
        written += len(text.encode("utf-8"))
        number += 1
    return written


class CountedEmbeddings(Embeddings):
    """The real model, counting the texts it embeds (the build embeds a repeated sentence once)."""

    def __init__(self, model: Embeddings):
        self.model = model
        self.embedded = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded += len(texts)
        return self.model.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.model.embed_query(text)


class ReusedSentenceVectors(Embeddings):
    """Real vectors for the seeds' sentences, computed once; a text's vector is the normalised
    mean of the known sentences it holds. A text without any (a sentence split differently in
    its new surroundings) gets the real model's vector of its body, remembered, since the
    recombined corpus repeats such texts many times."""

    def __init__(self, model: Embeddings, sentences: list[str], saved: Path):
        """`saved`: the vectors of an earlier run with the same model (an .npz file), read when
        present and written by `save`, so a second run embeds only what it has not seen."""
        self.model, self.saved = model, saved
        self.known: dict[str, np.ndarray] = {}
        if saved.is_file():
            with np.load(saved, allow_pickle=False) as kept:
                self.known = dict(zip(kept["texts"].tolist(), kept["vectors"], strict=True))
        unique = sorted(set(sentences) - set(self.known))
        if unique:
            self.known.update(zip(unique, np.asarray(model.embed_documents(unique), dtype=np.float32), strict=True))

    def save(self) -> None:
        self.saved.parent.mkdir(parents=True, exist_ok=True)
        texts = list(self.known)
        partial = self.saved.with_suffix(".partial.npz")
        np.savez(partial, texts=np.array(texts), vectors=np.stack([self.known[t] for t in texts]))
        partial.replace(self.saved)

    def _vector(self, text: str) -> list[float] | None:
        body = text if text in self.known else _body(text)
        if body in self.known:
            return self.known[body].tolist()
        # a cheap split: Dutch sentence splitting (pysbd) would cost as much as the chunking
        found = [self.known[piece] for piece in SENTENCE_BREAK.split(body) if piece in self.known]
        if not found:
            return None
        mean = np.mean(found, axis=0)
        return (mean / np.linalg.norm(mean)).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors = [self._vector(t) for t in texts]
        missing = sorted({_body(t) for t, v in zip(texts, vectors, strict=True) if v is None})
        if missing:
            fresh = np.asarray(self.model.embed_documents(missing), dtype=np.float32)
            self.known.update(zip(missing, fresh, strict=True))
            vectors = [self.known[_body(t)].tolist() if v is None else v for t, v in zip(texts, vectors, strict=True)]
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.model.embed_query(text)


def _body(text: str) -> str:
    """A chunk's embedding text without its "title > section: " prefix."""
    return text.split(": ", 1)[-1]


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


LIMIT_SAMPLE = 128  # chunks the model's own limit is measured on


def model_limit(model: Embeddings, chunks: list) -> float:
    """Chunks per second the encoder alone embeds, each chunk's text and all of its sentences."""
    start = time.perf_counter()
    model.embed_documents([c.embedding_text for c in chunks])
    model.embed_documents([text for c in chunks for text in c.sentence_texts()])
    return len(chunks) / (time.perf_counter() - start)


def run_build(corpus: Path, store_dir: Path, vectors: str, host: str, port: int) -> dict:
    """One size's build in this process: chunk and index. Returns the figures."""
    from assistant.index.chunking import stream_chunks
    from assistant.index.embeddings import load_embeddings, model_identity
    from assistant.index.generations import fingerprint
    from assistant.index.store import PassageStore, connect
    from assistant.pipeline import build_index

    settings = Settings.from_env()
    model = load_embeddings(settings)
    embeddings = CountedEmbeddings(model)
    if vectors == "reuse":
        seed_chunks = chunk_documents(load_documents(settings.seeds_dir))
        saved = settings.cache_dir / "scale-vectors" / f"{fingerprint([model_identity(settings)])}.npz"
        embeddings = ReusedSentenceVectors(model, [s for c in seed_chunks for s in c.sentence_texts()], saved)
    before_mb = peak_rss_mb()
    corpus_settings = corpus_settings_for(settings, corpus)
    chunks_cached = corpus_settings.cache_dir.exists()
    start = time.perf_counter()
    documents = len(document_paths(corpus))
    chunks = sum(1 for _ in stream_chunks(iter_documents(corpus), corpus_settings.cache_dir))
    chunk_seconds = time.perf_counter() - start
    client = connect(store_dir, host, port)
    store = PassageStore(store_dir, "scale", embeddings, model_identity(settings), client)
    start = time.perf_counter()
    report = build_index(corpus_settings, progress=False, store=store)  # streamed, as `assistant index` does
    index_seconds = time.perf_counter() - start
    if isinstance(embeddings, ReusedSentenceVectors):
        embeddings.save()
    limit = 0.0
    if vectors == "model":
        streamed = stream_chunks(iter_documents(corpus), corpus_settings.cache_dir)
        sample = [c for _, c in zip(range(LIMIT_SAMPLE), streamed, strict=False)]
        limit = model_limit(model, sample)
    return {
        "model_limit": limit, "embedded": embeddings.embedded if isinstance(embeddings, CountedEmbeddings) else 0,
        "documents": documents, "chunks": chunks, "sentences": report.sentences_added,
        "chunking_s": chunk_seconds, "chunks_cached": chunks_cached, "index_s": index_seconds,
        "chunks_per_s": chunks / index_seconds, "texts_per_s": (chunks + report.sentences_added) / index_seconds,
        "model_mb": before_mb, "index_peak_mb": peak_rss_mb(),
    }


def run_serve(corpus: Path, store_dir: Path, host: str, port: int, questions: int) -> dict:
    """One size served by a fresh process as the page serves it (`load_pipeline`: the documents,
    their chunks and the keyword index, the index from its saved files when an earlier start saved
    them), then `questions` searches and answers (composition and verbatim citations read the documents)."""
    from assistant.pipeline import load_pipeline

    shared = Settings.from_env()
    settings = replace(corpus_settings_for(shared, corpus), vectorstore_dir=store_dir, collection="scale",
                       chroma_host=host, chroma_port=port)
    models = settings.cache_dir / "models"  # the model converted once, in the usual cache folder
    if not models.exists():
        settings.cache_dir.mkdir(parents=True, exist_ok=True)
        models.symlink_to(shared.cache_dir / "models", target_is_directory=True)
    keyword_cache = settings.cache_dir / "keywords"
    saved = keyword_cache.is_dir() and any(keyword_cache.iterdir())
    start = time.perf_counter()
    pipeline = load_pipeline(settings, build_if_needed=False, progress=False)
    load_seconds = time.perf_counter() - start
    pipeline.answerer.ask("opwarmen")
    searches, answers = [], []
    for question in SEARCHES[:questions]:
        start = time.perf_counter()
        pipeline.answerer.search(question)
        searches.append(time.perf_counter() - start)
        start = time.perf_counter()
        pipeline.answerer.ask(question)
        answers.append(time.perf_counter() - start)
    return {"keywords_saved": saved, "load_s": load_seconds, "serve_peak_mb": peak_rss_mb(),
            **milliseconds("search", searches), **milliseconds("answer", answers)}


def milliseconds(name: str, seconds: list[float]) -> dict[str, float]:
    """The median and the 95th percentile of `seconds`, in ms, as `<name>_median_ms` and `<name>_p95_ms`."""
    ordered = sorted(seconds)
    return {f"{name}_median_ms": statistics.median(ordered) * 1000,
            f"{name}_p95_ms": ordered[int(0.95 * (len(ordered) - 1))] * 1000}


def corpus_settings_for(settings: Settings, corpus: Path) -> Settings:
    """The chunk cache (and the saved keyword index) lie beside the corpus: a second run (the other
    store) reads them instead of chunking again."""
    return replace(settings, seeds_dir=corpus, cache_dir=corpus.with_name(f"{corpus.name}-chunks"))


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (VmHWM: its own, from its exec on; getrusage's
    maximum would carry the parent's over)."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def start_server(data: Path) -> tuple[subprocess.Popen, int]:
    import socket
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    chroma = Path(sys.executable).with_name("chroma")
    process = subprocess.Popen([str(chroma), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
            return process, port
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("the Chroma server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--server", action="store_true", help="a chroma run server instead of the embedded store")
    parser.add_argument("--vectors", choices=["model", "reuse"], default="reuse")
    parser.add_argument("--precisions", nargs="+", choices=["fp32", "int8"], default=["fp32"])
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--build", nargs=2, metavar=("CORPUS", "STORE"), help=argparse.SUPPRESS)
    parser.add_argument("--serve", nargs=2, metavar=("CORPUS", "STORE"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--questions", type=int, choices=range(1, len(SEARCHES) + 1), default=len(SEARCHES),
                        metavar=f"1..{len(SEARCHES)}", help="searches and answers timed per start")
    args = parser.parse_args()

    host = "127.0.0.1" if args.port else ""
    if args.build:  # the child process that builds one size
        print(json.dumps(run_build(Path(args.build[0]), Path(args.build[1]), args.vectors, host, args.port)))
        return
    if args.serve:  # a child process that serves it
        print(json.dumps(run_serve(Path(args.serve[0]), Path(args.serve[1]), host, args.port, args.questions)))
        return

    work = args.keep or Path(tempfile.mkdtemp(prefix="scale-"))
    seeds = Settings.from_env().seeds_dir
    mode = "server" if args.server else "embedded"
    vectors = "real model for every text" if args.vectors == "model" else "seed sentences reused"
    print(f"store: {mode}; vectors: {vectors}; chunking s with * = read from the chunk cache of an earlier run; "
          "serve MB: a first start (it builds and saves the keyword index) / a later one (it loads it)")
    print(f"{'size':>6}{'model':>6}{'MB text':>9}{'docs':>7}{'chunks':>8}{'sentences':>10}{'embedded':>9}"
          f"{'chunking s':>11}{'index s':>9}{'chunks/s':>9}{'of limit':>9}{'texts/s':>8}{'load s':>12}{'model MB':>9}"
          f"{'index MB':>9}{'serve MB':>12}{'store MB':>9}{'search ms':>10}{'p95 ms':>8}{'answer ms':>10}{'p95 ms':>8}")
    try:
        for size, precision in ((size, precision) for size in args.sizes for precision in args.precisions):
            os.environ["EMBEDDING_PRECISION"] = precision  # the children's encoder
            corpus, store_dir = work / f"corpus-{size}x", work / f"store-{size}x-{mode}-{precision}"
            shutil.rmtree(store_dir, ignore_errors=True)
            shutil.rmtree(corpus.with_name(f"{corpus.name}-chunks") / "keywords", ignore_errors=True)
            if not corpus.exists():
                make_corpus(seeds, size, corpus)
            server, port = start_server(store_dir / "server-data") if args.server else (None, 0)
            try:
                f = child("--build", corpus, store_dir, args.vectors, port, args.questions)
                first, later = (child("--serve", corpus, store_dir, args.vectors, port, args.questions)
                                for _ in range(2))
            finally:
                if server:
                    server.terminate()
                    server.wait(timeout=60)
            f["store_mb"] = folder_size(store_dir) / 1e6  # after the server wrote all it holds
            text_mb = folder_size(corpus) / 1e6
            load = f"{first['load_s']:.1f}/{later['load_s']:.1f}"
            serve = f"{first['serve_peak_mb']:.0f}/{later['serve_peak_mb']:.0f}"
            share = f"{f['chunks_per_s'] / f['model_limit']:.0%}" if f["model_limit"] else "-"
            print(f"{size:>5}x{precision:>6}{text_mb:9.1f}{f['documents']:7d}{f['chunks']:8d}{f['sentences']:10d}"
                  f"{f['embedded']:9d}"
                  f"{f['chunking_s']:10.1f}{'*' if f['chunks_cached'] else ' '}{f['index_s']:9.1f}"
                  f"{f['chunks_per_s']:9.1f}{share:>9}{f['texts_per_s']:8.1f}{load:>12}"
                  f"{f['model_mb']:9.0f}{f['index_peak_mb']:9.0f}{serve:>12}{f['store_mb']:9.1f}"
                  f"{later['search_median_ms']:10.0f}{later['search_p95_ms']:8.0f}"
                  f"{later['answer_median_ms']:10.0f}{later['answer_p95_ms']:8.0f}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def child(role: str, corpus: Path, store_dir: Path, vectors: str, port: int, questions: int) -> dict:
    """Run one step in a fresh process (its peak memory is its own) and read its figures."""
    done = subprocess.run([sys.executable, __file__, role, str(corpus), str(store_dir), "--vectors", vectors,
                           "--port", str(port), "--questions", str(questions)], capture_output=True, text=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    if done.returncode != 0:
        sys.exit(f"{role} {corpus.name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
