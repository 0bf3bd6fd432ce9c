"""Incremental indexing into a real Chroma store with the real model."""

import os
import shutil
import subprocess
import sys
import time

import httpx
import pytest
from filelock import FileLock
from langchain_core.embeddings import Embeddings

from assistant.index.chunking import chunk_documents
from assistant.index.documents import load_documents
from assistant.index.embeddings import load_embeddings, model_identity
from assistant.index.index_build import EMBED_POOL
from assistant.index.store import LOCK_FILE, IndexBusy, IndexNotReady, PassageStore
from assistant.pipeline import load_chunks, load_pipeline, open_store

from conftest import PROJECT, kill_build_midway, make_settings, midway_seeds, running_page

SMALL = ["003_601c73c71d766d51.txt", "004_5ab84b3766507cc5.txt"]


class CountingEmbeddings(Embeddings):
    """The real embeddings, counting how many texts they were asked to embed."""

    def __init__(self, inner: Embeddings):
        self.inner = inner
        self.embedded: list[str] = []

    def embed_documents(self, texts):
        self.embedded.extend(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)


class RememberedEmbeddings(Embeddings):
    """The real embeddings, each distinct text embedded once for the module: these tests are about
    what the store keeps, and their small corpus would otherwise be embedded again by each."""

    def __init__(self, inner: Embeddings):
        self.inner = inner
        self.vectors: dict[str, list[float]] = {}

    def embed_documents(self, texts):
        new = [text for text in dict.fromkeys(texts) if text not in self.vectors]
        if new:
            self.vectors.update(zip(new, self.inner.embed_documents(new), strict=True))
        return [self.vectors[text] for text in texts]

    def embed_query(self, text):
        return self.inner.embed_query(text)


@pytest.fixture(scope="module")
def real_embeddings():
    return RememberedEmbeddings(load_embeddings(make_settings()))


@pytest.fixture
def small_corpus(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name in SMALL:
        shutil.copy(PROJECT / "seeds" / name, seeds / name)
    return seeds


def _chunks(seeds):
    return chunk_documents(load_documents(seeds))


def test_changing_one_seed_re_embeds_only_its_changed_chunks(tmp_path, small_corpus, real_embeddings):
    spy = CountingEmbeddings(real_embeddings)
    store = PassageStore(tmp_path / "vs", "test", spy, "model-a")
    first = _chunks(small_corpus)
    report = store.sync(first, progress=False)
    assert report.added == len(first) and report.removed == 0
    store.check_ready([c.id for c in first])

    path = small_corpus / SMALL[1]
    added = "\n\nDe gemeente opent een nieuw wijkloket voor mantelzorgers.\n"
    path.write_text(path.read_text(encoding="utf-8") + added,
                    encoding="utf-8")
    second = _chunks(small_corpus)
    changed = {c.id for c in second} - {c.id for c in first}
    assert changed and all(c.source == SMALL[1] for c in second if c.id in changed)
    spy.embedded.clear()
    report = store.sync(second, progress=False)
    assert report.added == len(changed)
    assert report.removed == len({c.id for c in first} - {c.id for c in second})
    assert report.kept == len(second) - len(changed)
    new_chunks = [c for c in second if c.id in changed]
    assert len(spy.embedded) == len(new_chunks) + sum(len(c.sentences) for c in new_chunks)
    assert set(store.passages.get(include=[])["ids"]) == {c.id for c in second}
    store.check_ready([c.id for c in second])

    vector = real_embeddings.embed_query("nieuw wijkloket voor mantelzorgers")
    assert store.dense_search(vector, 1)[0][0] in changed


def test_removed_document_is_deleted_with_its_sentences(tmp_path, small_corpus, real_embeddings):
    store = PassageStore(tmp_path / "vs", "test", real_embeddings, "model-a")
    store.sync(_chunks(small_corpus), progress=False)
    (small_corpus / SMALL[0]).unlink()
    remaining = _chunks(small_corpus)
    report = store.sync(remaining, progress=False)
    assert report.added == 0 and report.removed > 0
    assert set(store.passages.get(include=[])["ids"]) == {c.id for c in remaining}
    sources = {m["source"] for m in store.sentences.get(include=["metadatas"])["metadatas"]}
    assert sources == {SMALL[1]}


def test_a_store_for_another_model_is_not_served_but_rebuilt(tmp_path, small_corpus, real_embeddings):
    chunks = _chunks(small_corpus)
    with pytest.raises(IndexNotReady, match="no index"):
        PassageStore(tmp_path / "vs", "test", real_embeddings, "model-a").check_ready([c.id for c in chunks])
    store = PassageStore(tmp_path / "vs", "test", real_embeddings, "model-a")
    store.sync(chunks, progress=False)
    assert store.read_state()["complete"] is True
    store.check_ready([c.id for c in chunks])

    other = PassageStore(tmp_path / "vs", "test", real_embeddings, "model-b")
    with pytest.raises(IndexNotReady, match="built with"):
        other.check_ready([c.id for c in chunks])
    report = other.sync(chunks, progress=False)
    assert report.added == len(chunks)  # a model change rebuilds rather than mixing vectors
    other.check_ready([c.id for c in chunks])


def test_a_build_killed_midway_is_not_served_and_is_finished_next_time(tmp_path):
    seeds = midway_seeds(tmp_path / "seeds")
    settings = make_settings(vectorstore_dir=tmp_path / "vs", seeds_dir=seeds)
    assert len(load_chunks(settings)) > EMBED_POOL, "more than one pool: a kill after the first is midway"
    env = {**os.environ, "VECTORSTORE_DIR": str(settings.vectorstore_dir), "SEEDS_DIR": str(seeds),
           "HF_HUB_OFFLINE": "1"}
    kill_build_midway(env)

    chunks = load_chunks(settings)
    store = open_store(settings)
    assert 0 < store.count() < len(chunks), "killed midway"
    with pytest.raises(IndexNotReady, match="did not finish"):
        store.check_ready([c.id for c in chunks])
    with pytest.raises(IndexNotReady):
        load_pipeline(settings, build_if_needed=False, progress=False)

    pipeline = load_pipeline(settings, progress=False)  # the next start finishes the build
    pipeline.store.check_ready([c.id for c in chunks])
    assert pipeline.store.count() == len(chunks)
    assert pipeline.answerer.search("Wat is bestaanszekerheid?").passages
    assert open_store(settings).sync(chunks, progress=False).added == 0, "nothing left to do"


def test_rebuild_starts_over(tmp_path, small_corpus, real_embeddings):
    settings = make_settings(vectorstore_dir=tmp_path / "vs", seeds_dir=small_corpus)
    store = PassageStore(settings.vectorstore_dir, "test", real_embeddings, model_identity(settings))
    chunks = _chunks(small_corpus)
    store.sync(chunks, progress=False)
    assert store.sync(chunks, progress=False).added == 0
    assert store.sync(chunks, rebuild=True, progress=False).added == len(chunks)
    assert store.count() == len(chunks)


def test_a_second_index_build_is_refused_while_one_runs(tmp_path, small_corpus, real_embeddings):
    chunks = _chunks(small_corpus)
    store = PassageStore(tmp_path / "vs", "test", real_embeddings, "model-a")
    with FileLock(str(tmp_path / "vs" / LOCK_FILE)):  # a build running in another process
        with pytest.raises(IndexBusy, match="another index build is running"):
            store.sync(chunks, progress=False)
        env = {**os.environ, "VECTORSTORE_DIR": str(tmp_path / "vs"), "SEEDS_DIR": str(small_corpus),
               "HF_HUB_OFFLINE": "1"}
        second = subprocess.run([sys.executable, "-m", "assistant", "index"], cwd=PROJECT, env=env,
                                capture_output=True, text=True, timeout=300, check=False)
        assert second.returncode == 3
        assert "another index build is running" in second.stderr
    assert not store.read_state(), "the refused builds wrote nothing"
    assert store.sync(chunks, progress=False).added == len(chunks)


# ------------------------------------------------------------------ generations
def _generation_collections(store: PassageStore) -> set[str]:
    return {name for name in store.generations.names() if name.startswith(f"{store.collection}_g")}


def test_each_build_is_a_new_generation_switched_to_when_complete(tmp_path, small_corpus, real_embeddings):
    builder = PassageStore(tmp_path / "vs", "test", real_embeddings, "model-a")
    first = _chunks(small_corpus)
    builder.sync(first, progress=False)
    reader = PassageStore(tmp_path / "vs", "test", real_embeddings, "model-a")  # a running page
    assert reader.generation.number == builder.generation.number == 1
    assert reader.refresh() is False, "nothing new"

    (small_corpus / SMALL[0]).unlink()
    second = _chunks(small_corpus)
    builder.sync(second, progress=False)
    assert builder.generation.number == 2
    # the reader serves what it served until it refreshes (check_ready refreshes: it asks about now)
    assert reader.generation.number == 1 and reader.count() == len(first)
    assert reader.refresh() is True and reader.generation.number == 2
    reader.check_ready([c.id for c in second])
    assert reader.count() == len(second)

    builder.sync(second, rebuild=True, progress=False)
    assert _generation_collections(builder) == {"test_g2", "test_g2_sentences", "test_g3", "test_g3_sentences"}, \
        "the generation before the current one stays for requests in flight; older ones are dropped"


def test_a_half_built_generation_is_never_served(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(PROJECT / "seeds" / SMALL[0], seeds / SMALL[0])
    settings = make_settings(vectorstore_dir=tmp_path / "vs", seeds_dir=seeds)
    served = load_chunks(settings)
    open_store(settings).sync(served, progress=False)

    midway_seeds(seeds)  # many more chunks: a kill after the first batch is midway
    env = {**os.environ, "VECTORSTORE_DIR": str(settings.vectorstore_dir), "SEEDS_DIR": str(seeds),
           "HF_HUB_OFFLINE": "1"}
    kill_build_midway(env)

    store = open_store(settings)
    store.check_ready([c.id for c in served])  # still the complete generation from before
    assert store.count() == len(served) and store.generation.number == 1
    everything = load_chunks(settings)
    report = store.sync(everything, progress=False)  # the killed build is resumed
    assert store.generation.number == 2 and store.count() == len(everything)
    assert report.added < len(everything) - len(served), "what the killed build stored is not embedded again"


def test_a_running_page_follows_a_new_index_without_a_restart(pipeline, tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(PROJECT / "seeds" / SMALL[0], seeds / SMALL[0])
    env = {"SEEDS_DIR": str(seeds), "VECTORSTORE_DIR": str(tmp_path / "vs")}
    question = {"question": "Wat zijn de speerpunten van gemeenten voor de transformatie van het sociaal domein?"}
    with running_page(pipeline, **env) as url, httpx.Client(base_url=url, timeout=60) as client:
        assert [d["source"] for d in client.get("/api/v1/documents").json()] == [SMALL[0]]
        first_built = client.get("/api/v1/documents").json()[0]["indexed_at"]

        shutil.copy(PROJECT / "seeds" / SMALL[1], seeds / SMALL[1])
        build = subprocess.Popen([sys.executable, "-m", "assistant", "index"], cwd=PROJECT,
                                 env={**os.environ, **env, "HF_HUB_OFFLINE": "1"},
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while build.poll() is None:  # while it builds, the page answers from the complete index
            response = client.post("/api/v1/search", json=question)
            assert response.status_code == 200 and response.json()["passages"], response.text
        assert build.returncode == 0, build.stderr.read()[-2000:]

        deadline = time.monotonic() + 30
        while len(client.get("/api/v1/documents").json()) < 2:
            assert time.monotonic() < deadline, "the page did not follow the new index"
            time.sleep(0.5)
        found = client.post("/api/v1/search", json=question).json()
        assert SMALL[1] in {p["source"] for p in found["passages"]}, "the new document is searched"
        assert client.get("/api/v1/documents").json()[0]["indexed_at"] >= first_built


def test_a_readers_hidden_documents_are_left_out_by_the_stores_query_not_after_it(pipeline):
    """The k nearest chunks of the documents a reader may read: k of them, none hidden (a filter
    after the query would have returned fewer, or the hidden ones)."""
    from assistant.index.embeddings import embed_queries

    vector = embed_queries(pipeline.store.embeddings, ["Wat vragen gemeenten van het rijk voor de jeugdhulp?"])[0]
    nearest = pipeline.store.dense_search(vector, 10)
    hidden = frozenset({pipeline.chunks.get(cid).source for cid, _ in nearest[:3]})
    for search in (pipeline.store.dense_search, pipeline.store.sentence_search):
        found = search(vector, 10, hidden)
        assert len(found) == 10 and not {pipeline.chunks.get(cid).source for cid, _ in found} & hidden


def test_a_sentence_two_documents_share_is_embedded_once_per_build(tmp_path, small_corpus, real_embeddings):
    shutil.copy(small_corpus / SMALL[0], small_corpus / f"kopie_{SMALL[0]}")  # the same text under another name
    spy = CountingEmbeddings(real_embeddings)
    chunks = _chunks(small_corpus)
    report = PassageStore(tmp_path / "vs", "test", spy, "model-a").sync(chunks, progress=False)
    sentences = [text for c in chunks for text in c.sentence_texts()]
    assert report.added == len(chunks) and report.sentences_added == len(sentences)
    assert len(spy.embedded) == len(chunks) + len(set(sentences)) < len(chunks) + len(sentences)
