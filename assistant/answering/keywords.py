"""A keyword ranking that understands Dutch: folding, Snowball stemming and compound splitting.

Dutch writes compounds as one word ("jeugdhulpaanbieder", "schuldhulpverlening"), so a question
about "hulp voor jeugd" shares no whole word with the text. Every word is therefore also split
into the known words it is made of (with the linking -s- and -en-), and all parts are stemmed.
The ranking itself is BM25 from the `bm25s` library.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
import unicodedata
from bisect import bisect_left
from functools import cache, cached_property, lru_cache
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)
MIN_PART = 4  # shortest part a compound is split into
MIN_TAIL = 6  # shortest unknown last part
TYPO_MIN_CHARS = 7  # a word this long may be mistyped by a letter or two and still be the documents' word
TYPO_MATCH = 90  # rapidfuzz ratio (0-100) from which it is: "bestaanszekerhied" for "bestaanszekerheid"
SPLITTER_WORDS = "compound_words.json"
STOPWORDS = frozenset("""
aan al alle alles als ander andere bij ben ben daar daarom dan dat de der des deze die dit doe doen
door dus een eens en er ge geen had heb hebben heeft het hier hij hoe hun ik in is ja je jij jou jouw
kan kon kunnen maar me meer men met mij mijn moet moeten na naar niet niets nog nu of om omdat onder
ons onze ook op over reeds te tegen toch toen tot u uit uw van veel voor want waren was wat we wel
werd wie wij wil worden wordt zal ze zei zelf zich zij zijn zo zonder zou welke waar wanneer waarom
hoeveel iets iemand er wordt staat staan gaat gaan ga krijg krijgen kun kunt mag mogen
""".split())


def fold(text: str) -> str:
    """Lower-case and strip accents ("één" -> "een", "financiële" -> "financiele")."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("dutch")


DOUBLE_VOWEL = re.compile(r"([aeou])\1")


def stem(word: str) -> str:
    """Snowball Dutch stem with doubled vowels undone, so "toeslagen" and "toeslag" meet."""
    return DOUBLE_VOWEL.sub(r"\1", _stemmer().stemWord(word))


# A separable verb split by "te" ("de ambities bij te stellen", "problemen op te lossen") also gives
# the verb whole ("bijstellen", "oplossen"), so a question that says it whole finds the sentence
SEPARABLE = re.compile(r"\b(aan|af|bij|door|in|los|mee|na|om|op|over|samen|terug|tegen|toe|uit|vast|voor|weg)"
                       r" te (\w{3,})\b")
TOKENIZATION = "2"  # bump when words() changes: saved keyword indexes of an older one are not used


def words(text: str) -> list[str]:
    """Folded words of `text`, stopwords left out; hyphenated words also give their parts, and a
    separable verb split by "te" the verb whole."""
    out = []
    folded = fold(text)
    for match in WORD.finditer(folded):
        word = match.group(0).replace("'", "")
        parts = word.split("-") if "-" in word else [word]
        for part in ([word.replace("-", "")] + parts if len(parts) > 1 else parts):
            if part and part not in STOPWORDS and (len(part) > 1 or part.isdigit()):
                out.append(part)
    out += [particle + verb for particle, verb in SEPARABLE.findall(folded)]
    return out


# a quote opens after a non-letter and closes before one: the apostrophe of "thema's" or "'s-Hertogenbosch"
# opens nothing
QUOTED = re.compile(r"(?<![^\W_])['‘’\"“”„«»]([^'‘’\"“”„«»]{6,}?)['‘’\"“”„«»](?![^\W_])")


def quoted_phrase(text: str) -> str:
    """The longest part between quotes ("waar staat 'pleisters plakken'?"); "" when none."""
    return max(QUOTED.findall(text), key=len, default="")


def plain(text: str) -> str:
    """Folded words separated by single spaces: phrases compared as typed, punctuation aside."""
    return re.sub(r"\W+", " ", fold(text)).strip()


def word_stems(text: str) -> set[str]:
    return {stem(w) for w in words(text)}


class CompoundSplitter:
    """Splits a word into known words, e.g. "jeugdhulpaanbieder" -> jeugd + hulp + aanbieder."""

    def __init__(self, vocabulary: set[str]):
        self.vocabulary = {w for w in vocabulary if len(w) >= MIN_PART}
        self.stems = {stem(w) for w in self.vocabulary}
        self.split = lru_cache(maxsize=50_000)(self._split)  # per splitter: it dies with its index

    def _known(self, part: str) -> bool:
        return part in self.vocabulary or stem(part) in self.stems

    def _split(self, word: str) -> tuple[str, ...]:
        """The parts of `word`, longest head first; () when it is not a compound of known words."""
        if len(word) < 2 * MIN_PART:
            return ()
        for cut in range(len(word) - MIN_PART, MIN_PART - 1, -1):
            head, tail = word[:cut], word[cut:]
            if not self._known(head):
                continue
            for link in ("", "s", "en", "e"):
                if link and not tail.startswith(link):
                    continue
                rest = tail[len(link):]
                if len(rest) < MIN_PART:
                    continue
                if self._known(rest):
                    return (head, rest)
                deeper = self.split(rest)
                if deeper:
                    return (head, *deeper)
        # A known head with an unknown but word-sized tail ("zorg" + "begroting").
        for cut in range(len(word) - MIN_TAIL, MIN_PART - 1, -1):
            if word[:cut] in self.vocabulary:
                return (word[:cut], word[cut:])
        return ()


# Frequent Dutch words that are not also English words: a question without any is probably not Dutch.
DUTCH_FUNCTION_WORDS = frozenset(
    "de het een en van ik je jij wij ze zij hij zijn wat hoe waar wie welke wanneer waarom niet geen "
    "met voor aan bij om er dat dit ook kan mijn moet wordt te naar heb heeft hebben gaat mag".split())


def looks_dutch(text: str) -> bool:
    return any(w in DUTCH_FUNCTION_WORDS for w in WORD.findall(fold(text)))


@cache
def dutch_word(word: str) -> bool:
    """Whether a word is Dutch rather than English, by how common it is in each (wordfreq's lists,
    inside the package): "basisinkomen" and "Participatiewet" are, "citizens" and "scheme" are not."""
    from wordfreq import zipf_frequency  # imported here: half a second that only a foreign question needs

    return zipf_frequency(word, "nl") >= zipf_frequency(word, "en")


def mostly_dutch(text: str) -> bool:
    words = WORD.findall(text)
    return sum(dutch_word(w) for w in words) * 2 > len(words)


class DutchKeywordIndex:
    """BM25 over stemmed Dutch words and compound parts.

    Saved to a folder (`save`) it loads again memory-mapped (`load`): bm25s keeps its score
    matrix in .npy files that the operating system pages in, so a served index of any size costs
    little memory, and nothing is tokenised again at start."""

    def __init__(self, texts: list[str] | None = None):
        if texts is None:  # load() fills it in
            return
        import bm25s

        doc_words = [words(t) for t in texts]
        self.splitter = CompoundSplitter({w for ws in doc_words for w in ws})
        corpus_tokens = [self.tokens_of_words(ws) for ws in doc_words]
        self.bm25 = bm25s.BM25()
        self.bm25.index(corpus_tokens, show_progress=False)
        self.vocabulary = set(self.bm25.vocab_dict)

    def save(self, folder: Path) -> None:
        """bm25s's own files and the words compounds are split into; written in a folder of its
        own and renamed, so a half-written index is never loaded (and of two processes saving
        the same index, one wins and the other's copy goes)."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
        try:
            self.bm25.save(str(partial), show_progress=False)
            (partial / SPLITTER_WORDS).write_text(json.dumps(sorted(self.splitter.vocabulary), ensure_ascii=False),
                                                  encoding="utf-8")
            os.replace(partial, folder)
        except OSError:
            if not (folder / SPLITTER_WORDS).exists():
                raise
        finally:
            shutil.rmtree(partial, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> DutchKeywordIndex:
        import bm25s

        index = cls()
        index.bm25 = bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
        index.splitter = CompoundSplitter(set(json.loads((folder / SPLITTER_WORDS).read_text(encoding="utf-8"))))
        index.vocabulary = set(index.bm25.vocab_dict)
        return index

    def document_share(self, token: str) -> float:
        """The share of indexed texts holding `token` (0 when none does): its column's length in
        bm25s's score matrix, since every text holding a token has a score for it."""
        column = self.bm25.vocab_dict.get(token)
        indptr = self.bm25.scores["indptr"]
        if column is None or column + 1 >= len(indptr):  # bm25s keeps "" in its vocabulary, with no column
            return 0.0
        return float(indptr[column + 1] - indptr[column]) / max(1, self.bm25.scores["num_docs"])

    def focus_tokens(self, text: str, max_share: float = 0.2) -> set[str]:
        """The question's distinctive whole-word stems: known, and in at most `max_share` of the
        texts (compound parts are left out: "huishoudens" is not about "huisvesten")."""
        return {t for t in word_stems(text) if 0 < self.document_share(t) <= max_share}

    def rarity(self, token: str) -> float:
        """-log of the share of texts holding `token`; a token no text holds is rarest of all."""
        share = self.document_share(token)
        return -math.log(share) if share else math.log(max(2, self.bm25.scores["num_docs"]))

    def weighted_recall(self, phrase: str, text: str) -> float:
        """The share of the phrase's words (weighted by rarity) that `text` contains too."""
        wanted = set(self.tokens(phrase))
        if not wanted:
            return 0.0
        present = set(self.tokens(text))
        weight = {t: self.rarity(t) for t in wanted}
        total = sum(weight.values())
        return sum(w for t, w in weight.items() if t in present) / total if total else 0.0

    def _parts_in(self, word: str, tokens: set[str]) -> bool:
        """Whether `word` splits into known parts that all stand in `tokens`."""
        parts = self.splitter.split(word)
        return bool(parts) and all(stem(p) in tokens for p in parts)

    def knows(self, word: str) -> bool:
        """Whether some indexed text holds the (folded) word, or all the parts it splits into."""
        stems = {stem(w) for w in words(word)}
        return bool(stems) and stems <= self.vocabulary or self._parts_in(word, self.vocabulary)

    def holds_word(self, word: str) -> bool:
        """Whether some indexed text holds the (folded) word itself: inflected, as the start of a
        longer word ("mantelzorg" in "mantelzorgers"), or mistyped ("bestaanszekerhied"); `knows`
        also takes a compound of known words."""
        token = stem(word)
        if token in self.vocabulary:
            return True
        at = bisect_left(self._sorted_vocabulary, token)
        if at < len(self._sorted_vocabulary) and self._sorted_vocabulary[at].startswith(token):
            return True
        return len(word) >= TYPO_MIN_CHARS and process.extractOne(
            word, self._surface_words, scorer=fuzz.ratio, score_cutoff=TYPO_MATCH) is not None

    @cached_property
    def _sorted_vocabulary(self) -> list[str]:
        return sorted(self.vocabulary)

    @cached_property
    def _surface_words(self) -> list[str]:
        return sorted(self.splitter.vocabulary)

    def compound_parts(self, word: str) -> tuple[str, ...]:
        """The stems of the known words `word` is a compound of (huisarts -> huis, arts); () if none."""
        return tuple(stem(part) for part in self.splitter.split(word))

    def absent(self, phrase: str, text: str) -> dict[str, float]:
        """The phrase's content words that `text` does not hold (neither the word's stem nor all of
        its compound parts), each with its rarity in units of the rarest word (1.0 = a word no
        indexed text holds): what the phrase says that `text` does not."""
        present = set(self.tokens(text))
        rarest = self.rarity("")
        found: dict[str, str] = {}  # stem -> the first word with it
        for word in words(phrase):
            if stem(word) not in present and not self._parts_in(word, present):
                found.setdefault(stem(word), word)
        return {word: min(self.rarity(token), rarest) / rarest for token, word in found.items()}

    def tokens_of_words(self, ws: list[str]) -> list[str]:
        tokens = []
        for word in ws:
            tokens.append(stem(word))
            for part in self.splitter.split(word):
                tokens.append(stem(part))
                tokens.extend(stem(sub) for sub in self.splitter.split(part))
        return tokens

    def tokens(self, text: str) -> list[str]:
        return self.tokens_of_words(words(text))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every indexed text for `query` (zeros when no word is known)."""
        known = [t for t in self.tokens(query) if t in self.vocabulary]
        if not known:
            return np.zeros(self.bm25.scores["num_docs"], dtype=np.float32)
        return self.bm25.get_scores(known)
