"""Plain language for residents: a B1 measure of a text, and a glossary of the documents' hard words.

The measure (`b1`) reads three things a Dutch B1 text keeps small: the sentences' length, the
Flesch-Douma reading ease (the Dutch Flesch formula: 206.84 - 0.77 x syllables per 100 words -
0.93 x words per sentence), and the share of words that are rare in everyday Dutch, by
`wordfreq`'s Zipf frequency (its Dutch list ships inside the package). The limits are the
common B1 guidance: sentences of at most about 15 words, reading ease 60 or more ("vrij
makkelijk"), few words outside the everyday vocabulary.

The glossary (`data/glossary.toml`) explains the documents' terms and abbreviations in B1 words;
a resident answer lists the ones it contains, with or without an LLM.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..types import GlossaryEntry, ReadingLevel
from .keywords import WORD, fold
from .vocabulary import read_table

DEFAULT_GLOSSARY = Path(__file__).with_name("data") / "glossary.toml"

B1_MAX_SENTENCE_WORDS = 15.0
B1_MIN_READING_EASE = 60.0
B1_MAX_RARE_SHARE = 0.15
RARE_ZIPF = 3.0  # a word used less than about once in a million words of everyday Dutch
MARKER = re.compile(r"\s*\[\d+\]")
SENTENCE = re.compile(r"[^.!?]+[.!?]*")
VOWEL_GROUP = re.compile(r"[aeiouyàáäâèéëêìíïîòóöôùúüû]+")
GLOSSARY_INFLECTIONS = ("", "s", "en", "n", "e")


def syllables(word: str) -> int:
    """Dutch syllables, approximated by groups of vowels ("ui", "eeu", "ij" count once)."""
    return max(1, len(VOWEL_GROUP.findall(fold(word).replace("ij", "i"))))


def reading_level(text: str) -> ReadingLevel:
    """The B1 measure of a text ([n] markers left out)."""
    from wordfreq import zipf_frequency  # imported here: half a second that only the explain mode needs

    plain = MARKER.sub("", text)
    sentences = [s for s in SENTENCE.findall(plain) if WORD.search(s)]
    words = WORD.findall(plain)
    if not words:
        return ReadingLevel(0.0, 100.0, 0.0, True)
    per_sentence = len(words) / max(1, len(sentences))
    ease = 206.84 - 0.77 * (100 * sum(syllables(w) for w in words) / len(words)) - 0.93 * per_sentence
    content = [w for w in words if len(w) > 3 and not w.isdigit()]
    rare = sum(1 for w in content if zipf_frequency(fold(w), "nl") < RARE_ZIPF) / max(1, len(content))
    b1 = per_sentence <= B1_MAX_SENTENCE_WORDS and ease >= B1_MIN_READING_EASE and rare <= B1_MAX_RARE_SHARE
    return ReadingLevel(round(per_sentence, 1), round(ease, 1), round(rare, 3), b1)


@dataclass
class Glossary:
    entries: list[GlossaryEntry]

    @classmethod
    def load(cls, path: Path = DEFAULT_GLOSSARY) -> Glossary:
        table = read_table(path, "terms", "the glossary")
        return cls([GlossaryEntry(term, explanation) for term, explanation in table.items()])

    def terms_in(self, text: str) -> list[GlossaryEntry]:
        """The entries whose term occurs in `text` (as a word or its plural), in the glossary's order."""
        folded = " ".join(WORD.findall(fold(text)))
        return [entry for entry in self.entries
                if re.search(rf"\b{re.escape(fold(entry.term))}(?:{'|'.join(GLOSSARY_INFLECTIONS)})\b", folded)]
