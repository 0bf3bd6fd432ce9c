"""The domain vocabulary: everyday words and abbreviations mapped to the documents' terms.

The data lives in `data/vocabulary.toml`. An entry's key is one or more words that must all
occur in the question; a key word matches the same word or a plain inflection of it
("rekening" matches "rekeningen"), and a key word ending in `*` matches any word starting with it
("huur*" matches "huurhuis", "huurachterstand"). The terms of every matching entry are what
`expand` returns; the retriever adds them to the keyword search at a lower weight.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from .keywords import WORD, fold

DEFAULT_VOCABULARY = Path(__file__).with_name("data") / "vocabulary.toml"
INFLECTIONS = ("", "s", "en", "n", "e", "es", "tje", "tjes", "je", "jes")


@dataclass(frozen=True)
class Expansion:
    key: tuple[str, ...]  # folded key words; a trailing "*" marks a prefix
    terms: str

    def matches(self, question_words: set[str]) -> bool:
        return all(_word_present(k, question_words) for k in self.key)


def _word_present(key: str, question_words: set[str]) -> bool:
    return any(key_matches(key, word) for word in question_words)


def key_matches(key: str, word: str) -> bool:
    """Whether a folded word is the key word: the same, an inflection, or a word it begins ("huur*")."""
    if key.endswith("*"):
        return word.startswith(key[:-1])
    return any(word == key + ending for ending in INFLECTIONS)


class DomainVocabulary:
    def __init__(self, expansions: list[Expansion]):
        self.expansions = expansions

    @classmethod
    def load(cls, path: Path = DEFAULT_VOCABULARY) -> DomainVocabulary:
        return cls([Expansion(tuple(fold(word) for word in key.split()), terms)
                    for key, terms in read_table(path, "expansions", "the domain vocabulary").items()])

    def matches(self, question: str) -> list[Expansion]:
        """The entries whose key words all occur in `question`."""
        question_words = set(WORD.findall(fold(question)))
        return [e for e in self.expansions if e.matches(question_words)]

    def expand(self, question: str) -> str:
        """The documents' terms for the everyday words in `question` ("" when none apply)."""
        return terms(self.matches(question))


def read_table(path: Path, name: str, what: str) -> dict[str, str]:
    """The `[name]` table of a TOML data file (the vocabulary, the glossary), or a clear error."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))[name]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as error:
        raise ValueError(f"Cannot read {what} {path}: {error}") from error


def terms(entries: list[Expansion]) -> str:
    return " ".join(e.terms for e in entries)
