"""The served documents and chunks, kept on disk and read when needed (fast: real cleaning and
chunking of hand-made documents, no model)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from assistant.index.chunking import chunk_documents
from assistant.index.documents import iter_documents, load_documents
from assistant.index.served import CACHE_FILES_KEPT_DAYS, serve

from handmade import PROPOSITION

OTHER = ("# Wonen\r\n\r\nGemeenten zoeken woonplekken voor starters.\r\nDe wachtlijsten zijn lang.\r\n\r\n"
         "- Er komen tijdelijke woningen bij.\r\n- Ouderen krijgen hulp bij verhuizen.\r\n")


@pytest.fixture
def seeds(tmp_path) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "propositie.md").write_text(PROPOSITION, encoding="utf-8")
    (folder / "wonen.txt").write_bytes(OTHER.encode("utf-8"))  # Windows line ends: kept as they stand
    (folder / "manifest.json").write_text(json.dumps({"wonen.txt": {"title": "Wonen in de gemeente",
                                                                    "organisation": "Gemeente Zwolle"}}),
                                          encoding="utf-8")
    return folder


def test_the_served_documents_and_chunks_are_the_ones_read_from_the_folder(seeds, tmp_path):
    documents, chunks = serve(iter_documents(seeds), tmp_path / "cache")
    read = {d.name: d for d in load_documents(seeds)}
    expected = chunk_documents(list(read.values()))
    assert set(documents) == set(read) and len(documents) == 2
    for name, document in read.items():
        assert documents[name].source == document.source and documents[name].blocks == [], "the text, no blocks"
        assert documents.whole(name) == document, "text, blocks and description as read"
    assert documents.whole("onbekend.md") is None
    assert [(d.name, d.title, d.organisation) for d in documents.descriptions()] == [
        ("propositie.md", "Bestaanszekerheid bieden", ""), ("wonen.txt", "Wonen in de gemeente", "Gemeente Zwolle")]
    assert all(d.source == "" and d.blocks == [] for d in documents.descriptions()), "descriptions hold no text"
    assert chunks.ids == [c.id for c in expected] and list(chunks) == expected
    assert all(chunks.get(c.id) == c for c in expected) and chunks.get("onbekend") is None
    first = expected[0]
    assert chunks.following(first, 3) == [c for c in expected[1:4] if c.source == first.source]
    last_of_first = [c for c in expected if c.source == first.source][-1]
    assert chunks.preceding(last_of_first, 2) == [c for c in expected if c.source == first.source][-2:-4:-1]
    assert chunks.preceding(first, 3) == [], "nothing before a document's first chunk"
    assert chunks.counts() == {name: sum(c.source == name for c in expected) for name in read}


def test_what_is_served_stays_as_it_was_indexed_when_a_document_is_edited_or_removed(seeds, tmp_path):
    documents, chunks = serve(iter_documents(seeds), tmp_path / "cache")
    before = load_documents(seeds)
    (seeds / "wonen.txt").write_text("# Iets anders\n\nEen nieuwe tekst.\n", encoding="utf-8")
    (seeds / "propositie.md").unlink()
    for document in before:
        assert documents.whole(document.name) == document
    assert list(chunks) == chunk_documents(before)


def test_only_the_recently_used_documents_are_held_in_memory(seeds, tmp_path):
    for i in range(6):
        (seeds / f"nota-{i}.md").write_text(f"# Nota {i}\n\nGemeenten schrijven nota nummer {i} over schulden.\n",
                                            encoding="utf-8")
    documents, chunks = serve(iter_documents(seeds), tmp_path / "cache")
    documents._recent.size = 2 * len(documents["nota-0.md"].source)  # characters: two of the notes
    chunks._recent.size = 2  # chunks: two documents' worth
    for name in documents:
        assert documents[name].source
    assert len(list(chunks)) == len(chunks)
    assert len(documents._recent._held) <= 2 and len(chunks._recent._held) <= 2
    assert documents["propositie.md"].source == PROPOSITION, "read again once dropped"


def test_without_a_writable_cache_everything_is_held_in_memory(seeds, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("", encoding="utf-8")  # a file where the cache folder should be: nothing can be saved
    documents, chunks = serve(iter_documents(seeds), blocked)
    read = load_documents(seeds)
    assert [documents.whole(d.name) for d in read] == read
    assert list(chunks) == chunk_documents(read)


def test_cache_files_no_index_served_for_a_month_are_deleted_and_the_served_ones_kept(seeds, tmp_path):
    """Each edited version of a document leaves its chunks and text in the cache: those no pipeline
    served for CACHE_FILES_KEPT_DAYS go when a pipeline is assembled, with writes left unfinished."""
    cache = tmp_path / "cache"
    serve(iter_documents(seeds), cache)
    first_version = set((cache / "chunks").iterdir()) | set((cache / "documents").iterdir())
    (seeds / "wonen.txt").write_text("# Wonen\n\nEen nieuwe versie van de tekst.\n", encoding="utf-8")
    long_ago = time.time() - (CACHE_FILES_KEPT_DAYS + 1) * 86400
    for path in first_version:
        os.utime(path, (long_ago, long_ago))  # as if the first version was served a month ago
    yesterday = time.time() - 2 * 86400
    left_over = cache / "documents" / "half-written.txt.1234.tmp"
    left_over.write_text("", encoding="utf-8")
    os.utime(left_over, (yesterday, yesterday))
    documents, chunks = serve(iter_documents(seeds), cache)

    remaining = set((cache / "chunks").iterdir()) | set((cache / "documents").iterdir())
    assert len(first_version - remaining) == 2, "the old version's chunks and text are deleted"
    assert len(remaining) == 4 and left_over not in remaining
    assert all(time.time() - p.stat().st_mtime < 60 for p in remaining), "what is served is touched"
    assert documents["propositie.md"].source == PROPOSITION, "the unchanged document's files served on"
    assert "nieuwe versie" in documents["wonen.txt"].source and len(list(chunks)) == len(chunks)
