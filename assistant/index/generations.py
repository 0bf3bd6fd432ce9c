"""The index's generations in Chroma: their collections, the pointer to the one served, and each
one's build state.

A generation is two collections: `<name>_g<N>` (one vector per chunk) and `<name>_g<N>_sentences`
(one per sentence); `<name>_current` names the generation that is served. The build state lives
in the generation's chunk collection metadata, so it travels with the store (embedded or
server): whether its build finished, with which embedding model, for which chunks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from chromadb.api import ClientAPI

NO_GENERATION = 0
COSINE = {"hnsw": {"space": "cosine"}}


@dataclass(frozen=True)
class Generation:
    """One complete copy of the index: a chunk collection and a sentence collection."""

    number: int
    passages: str
    sentences: str

    @classmethod
    def of(cls, collection: str, number: int) -> Generation:
        return cls(number, f"{collection}_g{number}", f"{collection}_g{number}_sentences")


class Generations:
    """Which generations of `collection` exist and which one is served."""

    def __init__(self, client: ClientAPI, collection: str):
        self.client = client
        self.collection = collection
        self.pointer_name = f"{collection}_current"

    def of(self, number: int) -> Generation:
        return Generation.of(self.collection, number)

    def serving(self) -> int:
        """The generation the pointer names (NO_GENERATION before the first complete build)."""
        pointer = self.client.get_or_create_collection(self.pointer_name)
        return int((pointer.metadata or {}).get("generation", NO_GENERATION))

    def built(self) -> list[int]:
        """The generations that exist, complete or not, oldest first."""
        prefix = f"{self.collection}_g"
        numbers = {int(name[len(prefix):]) for name in self.names()
                   if name.startswith(prefix) and name[len(prefix):].isdigit()}
        return sorted(numbers)

    def names(self) -> set[str]:
        return {c if isinstance(c, str) else c.name for c in self.client.list_collections()}

    def viewed(self) -> int:
        """What readers see: the serving generation; before any build completed, the newest
        unfinished one (so that its state says the build did not finish)."""
        serving = self.serving()
        return serving if serving != NO_GENERATION else max(self.built(), default=NO_GENERATION)

    def create(self, generation: Generation) -> Generation:
        for name in (generation.passages, generation.sentences):
            self.client.get_or_create_collection(name, configuration=COSINE)
        return generation

    def serve(self, generation: Generation) -> None:
        """Serve `generation` from now on (one metadata write: readers see the old or the new,
        never a mix); keep the one before it for requests in flight, drop the rest."""
        before = self.serving()
        self.client.get_or_create_collection(self.pointer_name).modify(metadata={"generation": generation.number})
        for number in self.built():
            if number not in (generation.number, before):
                self.drop(self.of(number))

    def drop(self, generation: Generation) -> None:
        names = self.names()
        for name in (generation.passages, generation.sentences):
            if name in names:
                self.client.delete_collection(name)

    # ------------------------------------------------------------------ build state
    def state(self, generation: Generation) -> dict:
        """The generation's build state ({} for none)."""
        if generation.number == NO_GENERATION:
            return {}
        return dict(self.client.get_collection(generation.passages).metadata or {})

    def write_state(self, generation: Generation, model_identity: str, complete: bool, chunk_ids: list[str]) -> None:
        state = {"complete": complete, "embedding_model": model_identity,
                 "chunks": len(chunk_ids), "fingerprint": fingerprint(chunk_ids),
                 "completed_at": now() if complete else ""}
        self.client.get_collection(generation.passages).modify(metadata=state)


def fingerprint(ids: list[str]) -> str:
    """Which chunks a generation holds, in 16 hex digits."""
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:16]


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
