"""The build's own machinery, without the model: reading ahead on a thread of its own (bounded, its
errors raised in the build) and Chroma's writes behind it (a failed write stops the build)."""

from __future__ import annotations

import threading
import time

import pytest
from tqdm import tqdm

from assistant.index.index_build import ChromaWriter, read_ahead


def test_reading_ahead_gives_every_item_in_order_and_stays_within_its_bound():
    made: list[int] = []

    def items():
        for n in range(100):
            made.append(n)
            yield n

    reader = read_ahead(items(), 5)
    assert next(reader) == 0
    time.sleep(0.2)
    assert len(made) <= 1 + 5 + 1, "at most `size` ahead (one more is made while the queue is full)"
    assert [0, *reader] == list(range(100))


def test_an_error_while_reading_is_raised_in_the_build():
    def items():
        yield 1
        raise ValueError("a document that cannot be chunked")

    with pytest.raises(ValueError, match="cannot be chunked"):
        list(read_ahead(items(), 5))


def test_a_build_that_stops_early_stops_the_reader():
    reader = read_ahead(iter(range(10_000)), 5)
    assert next(reader) == 0
    reader.close()
    time.sleep(1.0)
    assert not [t for t in threading.enumerate() if t.name == "index-reader"], "the reader thread ended"


class FailingCollection:
    def upsert(self, **rows):
        raise ConnectionError("the Chroma server went away")


class FailingClient:
    """A fault: a store whose writes fail."""

    def get_collection(self, name):
        return FailingCollection()


def test_a_failed_write_is_raised_in_the_build():
    with pytest.raises(ConnectionError), ChromaWriter(FailingClient(), tqdm(disable=True)) as writer:
        writer.upsert("passages", ["a"], [[0.0]], ["tekst"], [{}])
        time.sleep(0.2)
        writer.upsert("passages", ["b"], [[0.0]], ["tekst"], [{}])
