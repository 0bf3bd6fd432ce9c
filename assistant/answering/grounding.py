"""An LLM's claims held against the passages they cite: what is shown must be what is written.

A claim (one sentence of the LLM's answer) is shown only when one passage it cites supports it,
judged against that passage's best-matching sentence and its neighbours:

- **polarity**: the same negations (niet, geen, nooit, zonder, ...): "gemeenten kunnen niet" is
  not "gemeenten kunnen";
- **numbers**: every number, amount, percentage, year and date in the claim stands in the cited
  text ("2031" where the text says "2026" fails);
- **actors**: the claim's actors (gemeenten, het rijk, inwoners, an organisation) appear in the
  cited text, in the same order (a swapped "het rijk vraagt gemeenten" fails); an actor someone
  acts *with* ("samen met het rijk") may stand anywhere, but must be a partner in the text too;
- **oppositions**: no word of the claim stands where the cited sentence has its opposite or
  another member of its group (`data/oppositions.toml`): another modality ("kan" for "moet"), an
  antonym ("minder" for "meer", "tijdelijk" for "structureel"), another time ("tot" for "vanaf"),
  quantifier ("sommige" for "alle"), group of people ("ouderen" for "jongeren") or entity
  ("criminaliteit" for "armoede", "Jeugdwet" for "Wmo"). One changed word among fifteen is within
  the share of new words the content check allows, and a word that stands elsewhere in the
  documents is not new to them: the opposition itself is what gives it away;
- **content**: almost all of the claim's content words, weighted by rarity, stand in the cited
  text; every meaning-bearing word (one the documents use rarely or never) is accounted for
  there, by its stem, a compound part or a vetted synonym (`data/synonyms.toml`: "steun" for
  "ondersteuning"), so one word put in another's place fails whatever it is; and the common
  words it adds weigh at most one rare word (an appended clause, a new name or sum fails).

An unmarked sentence gets a citation only when it is near-verbatim from one passage. A sentence
whose marker points at the wrong passage (small models miscount) is held to the same rules against
the other passages and shown with the number of the one that backs it. A sentence that fails
but quotes a passage ('Er staat: "..."') is shown as that quotation alone, in quotation marks,
when the quotation stands verbatim in the passage: what is shown is then the passage's own words,
whatever the LLM wrapped around them. Everything here is pure: text in, verdicts out, so the
rules are unit-tested on hand-made passages.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .keywords import WORD, DutchKeywordIndex, fold, plain, quoted_phrase, stem, words

DEFAULT_OPPOSITIONS = Path(__file__).with_name("data") / "oppositions.toml"
DEFAULT_SYNONYMS = Path(__file__).with_name("data") / "synonyms.toml"
UN_PREFIX = "on"  # "onzeker", "onvoldoende", "ongelijk": the opposite of the word it is put before
UN_MIN_CHARS = 4  # the word without the prefix is a word of its own ("onder" is no "der")
MARKERS = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
GROUNDED_MIN = 0.6  # rarity-weighted share of a marked claim's content words the cited text holds
VERBATIM_MIN = 0.9  # the same for an unmarked sentence, to be given a citation
NEW_WEIGHT_MAX = 1.0  # what a claim may add, in rarest words (keywords.absent): a connective, not a clause
# a word the cited text does not hold is meaning-bearing from this rarity on (in units of the rarest
# word: about a word in fewer than one passage in twelve), unless it is among the most common words
# of Dutch at large (wordfreq's Zipf scale: komen, maken, geld, samen): such a word may not be added
MEANING_RARITY = 0.5
MEANING_ZIPF_MAX = 5.5
QUOTATION_MIN_WORDS = 4  # a quotation inside a claim shorter than this is a term, not a passage's words
QUOTATION_SHARE = 0.5  # and it is most of the claim ("Er staat: '...'"), not a title inside another statement
NEIGHBOURS = 1  # sentences on either side of the best-matching one that may support a claim too
NEGATIONS = frozenset("niet geen nooit niemand niets nergens zonder noch geenszins allerminst".split())
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
NUMBER_WORDS = {"een": "1", "twee": "2", "drie": "3", "vier": "4", "vijf": "5", "zes": "6", "zeven": "7",
                "acht": "8", "negen": "9", "tien": "10", "elf": "11", "twaalf": "12", "twintig": "20",
                "honderd": "100", "duizend": "1000", "miljoen": "miljoen", "miljard": "miljard"}
NUMBER_WORDS.pop("een")  # "een" is mostly the article
ACTORS = {  # folded word -> actor
    "gemeente": "gemeenten", "gemeenten": "gemeenten", "gemeentes": "gemeenten", "wij": "gemeenten",
    "rijk": "rijk", "kabinet": "rijk", "overheid": "rijk", "ministerie": "rijk", "minister": "rijk",
    "inwoners": "inwoners", "inwoner": "inwoners", "burgers": "inwoners", "bewoners": "inwoners",
    "vng": "vng", "divosa": "divosa", "werkgevers": "werkgevers", "zorgverzekeraars": "zorgverzekeraars",
    "corporaties": "corporaties", "provincies": "provincies", "scholen": "scholen",
}


@dataclass(frozen=True)
class Claim:
    text: str  # the sentence without its markers
    cited: tuple[int, ...]  # the passage numbers it cites (1-based), in order


@dataclass(frozen=True)
class Grounding:
    """The verdict on one claim: the passage and sentence that support it, or why not."""

    claim: Claim
    number: int | None  # the supporting passage (1-based); None: not shown
    span: tuple[int, int] | None  # the supporting sentence in that passage's text
    reason: str


def claims(text: str, sentence_spans) -> list[Claim]:
    """The LLM's sentences with the passage numbers they cite."""
    out = []
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        cited: list[int] = []
        for group in MARKERS.findall(sentence):
            cited += [int(n) for n in re.split(r"[,;]", group) if int(n) not in cited]
        claim = re.sub(r"\s+([.,;:!?])", r"\1", MARKERS.sub("", sentence)).strip()
        if claim:
            out.append(Claim(claim, tuple(cited)))
    return out


def numbers(text: str) -> set[str]:
    """The numbers of a text, digits and Dutch number words alike ("drie" -> "3"), without
    thousands separators ("1.000" and "1000" meet)."""
    found = {n.replace(".", "").replace(",", ".") if re.fullmatch(r"\d{1,3}(\.\d{3})+", n) is None
             else n.replace(".", "") for n in NUMBER.findall(text)}
    found |= {NUMBER_WORDS[w] for w in WORD.findall(fold(text)) if w in NUMBER_WORDS}
    return found


def negations(text: str) -> int:
    """The negations of a text, also inside a compound ("niet-gebruik", "non-profit")."""
    return sum(1 for w in WORD.findall(fold(text)) for part in w.split("-") if part in NEGATIONS | {"non"})


def actor_uses(text: str) -> Counter:
    """How often a text names each actor."""
    return Counter(ACTORS[word] for word in WORD.findall(fold(text)) if word in ACTORS)


def actors(text: str) -> list[str]:
    """The actors a text names, in order, each once."""
    return list(actor_uses(text))  # a Counter keeps the order in which it first met each


PARTNER = re.compile(r"\bmet\s+(?:het\s+|de\s+|hun\s+|onze\s+)?(\w+)")


def partners(text: str) -> set[str]:
    """The actors a text acts with ("samen met het rijk", "met gemeenten"): their place in the
    sentence says nothing of who does what."""
    return {ACTORS[word] for word in PARTNER.findall(fold(text)) if word in ACTORS}


@dataclass(frozen=True)
class OppositionGroup:
    """Words that stand in the same place of a sentence and exclude each other."""

    kind: str  # modality, antonym, time, quantifier, group, entity
    members: tuple[tuple[str, ...], ...]  # each member's folded forms ("*" ends a prefix)

    def counts(self, words: list[str]) -> Counter:
        """How often the text (its folded words, in order) uses each member, by member index."""
        found: Counter = Counter()
        joined = f" {' '.join(words)} "
        for index, forms in enumerate(self.members):
            for form in forms:
                if " " in form:
                    found[index] += joined.count(f" {form} ")
                elif form.endswith("*"):
                    found[index] += sum(1 for word in words if word.startswith(form[:-1]))
                else:
                    found[index] += words.count(form)
        return +found


class Oppositions:
    """The groups of mutually exclusive words (data/oppositions.toml)."""

    def __init__(self, groups: list[OppositionGroup]):
        self.groups = groups

    @classmethod
    def load(cls, path: Path = DEFAULT_OPPOSITIONS) -> Oppositions:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))["group"]
            groups = [OppositionGroup(entry["kind"], tuple(tuple(fold(form) for form in member)
                                                            for member in entry["members"])) for entry in raw]
        except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as error:
            raise ValueError(f"Cannot read the oppositions {path}: {error}") from error
        return cls(groups)

    def contradiction(self, claim: str, sentence: str, window: str) -> str | None:
        """Why the claim contradicts its cited sentence (`window`: the sentence and its neighbours),
        or None when it does not:
        - it uses one member of a group more often than the sentence does, where the sentence uses
          another member more often than the claim ("moet" where the sentence says "kan"; a claim
          that joins the sentence and its neighbour keeps the sentence's own words, so it has no
          such member), or it uses a member the window never uses where the window uses one the
          claim does not;
        - a word the window nowhere holds is the opposite with "on-" of a word of the sentence
          ("onzeker" for "zeker", and back)."""
        words = {name: WORD.findall(fold(text)) for name, text in
                 (("claim", claim), ("sentence", sentence), ("window", window))}
        only_in_sentence = set(words["sentence"]) - set(words["claim"])
        for word in set(words["claim"]) - set(words["window"]):
            opposite = word[len(UN_PREFIX):] if word.startswith(UN_PREFIX) else UN_PREFIX + word
            if len(opposite) >= UN_MIN_CHARS and opposite in only_in_sentence:
                return f"antonym changed: '{word}' where the cited sentence says '{opposite}'"
        for group in self.groups:
            claimed, said, cited = (group.counts(words[name]) for name in ("claim", "sentence", "window"))
            added = [i for i in claimed if claimed[i] > said[i]]
            replaced = [i for i in said if said[i] > claimed[i]]
            if not (added and replaced):  # a claim that runs into the neighbour: a member the cited text never uses
                added = [i for i in claimed if not cited[i]]
                replaced = [i for i in cited if not claimed[i]]
            if added and replaced:
                return (f"{group.kind} changed: '{group.members[added[0]][0]}' where the cited sentence says "
                        f"'{group.members[replaced[0]][0]}'")
        return None


@lru_cache(maxsize=4096)
def everyday(word: str) -> bool:
    """Whether a word is among the most common of Dutch at large: the glue of a paraphrase."""
    from wordfreq import zipf_frequency  # imported here: the passages-only answer never needs it

    return zipf_frequency(word, "nl") >= MEANING_ZIPF_MAX


class Synonyms:
    """Vetted groups of words that may stand for each other (data/synonyms.toml), by stem."""

    def __init__(self, groups: list[tuple[str, ...]]):
        self.mates: dict[str, tuple[str, ...]] = {}
        for group in groups:
            for word in group:
                self.mates[stem(fold(word))] = tuple(w for w in group if w != word)
        self._stems = {token: frozenset(stem(fold(mate)) for mate in mates) for token, mates in self.mates.items()}

    @classmethod
    def load(cls, path: Path = DEFAULT_SYNONYMS) -> Synonyms:
        try:
            return cls([tuple(entry["words"]) for entry in tomllib.loads(path.read_text(encoding="utf-8"))["group"]])
        except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as error:
            raise ValueError(f"Cannot read the synonyms {path}: {error}") from error

    def stems_of(self, token: str) -> frozenset[str]:
        """The stems of the synonyms of a stem."""
        return self._stems.get(token, frozenset())

    def of(self, text: str) -> str:
        """The synonyms of the words of `text`, as text: what `text` also says."""
        return " ".join(mate for word in words(text) for mate in self.mates.get(stem(word), ()))


class Grounder:
    """Holds claims against numbered passages; `keywords` weighs words by rarity."""

    def __init__(self, keywords: DutchKeywordIndex, oppositions: Oppositions | None = None,
                 synonyms: Synonyms | None = None):
        self.keywords = keywords
        self.oppositions = oppositions or Oppositions.load()
        self.synonyms = synonyms or Synonyms.load()

    def ground(self, claim: Claim, passages: list[tuple[str, list[tuple[int, int]]]], given: str = "") -> Grounding:
        """`passages[n - 1]` is passage n's text and sentence spans; `given` is what the claim may
        take its actors and a few words from besides the passage (the question, the passages'
        headings: "Wat vragen gemeenten van het rijk?" makes "gemeenten vragen" no invention);
        most of the claim must still stand in the passage."""
        valid = [n for n in claim.cited if 1 <= n <= len(passages)]
        if claim.cited and not valid:
            return Grounding(claim, None, None, f"cites no retrieved passage: {list(claim.cited)}")
        candidates = valid or list(range(1, len(passages) + 1))
        minimum = GROUNDED_MIN if valid else VERBATIM_MIN
        reasons = []
        for number in candidates:
            span, problem = self.held_by(claim.text, passages[number - 1], minimum, given)
            if problem is None:
                return Grounding(claim, number, span, "supported" if valid else "unmarked but near-verbatim")
            reasons.append(f"[{number}] {problem}")
        if valid:  # a small model's wrong number: the same rules against the passages it did not cite
            for number in (n for n in range(1, len(passages) + 1) if n not in valid):
                span, problem = self.held_by(claim.text, passages[number - 1], GROUNDED_MIN, given)
                if problem is None:
                    return Grounding(claim, number, span, f"supported by [{number}], not by {list(valid)}")
        quoted = self.quotation(claim, passages, given)
        if quoted is not None:
            return quoted
        return Grounding(claim, None, None, "; ".join(reasons) or "no passage")

    def quotation(self, claim: Claim, passages: list[tuple[str, list[tuple[int, int]]]],
                  given: str) -> Grounding | None:
        """The passage words a claim quotes, as a claim of their own, when they stand verbatim in
        one passage (the cited one first)."""
        quoted = quoted_phrase(claim.text).strip()
        words = len(quoted.split())
        if words < QUOTATION_MIN_WORDS or words < QUOTATION_SHARE * len(claim.text.split()):
            return None
        order = list(dict.fromkeys([n for n in claim.cited if 1 <= n <= len(passages)]
                                   + list(range(1, len(passages) + 1))))
        for number in order:
            if plain(quoted) not in plain(passages[number - 1][0]):
                continue
            span, problem = self.held_by(quoted, passages[number - 1], VERBATIM_MIN, given)
            if problem is None:
                shown = Claim(f"\"{quoted.rstrip('.!?:; ')}\".", (number,))
                return Grounding(shown, number, span, f"its quotation stands verbatim in [{number}]")
        return None

    def held_by(self, claim: str, passage: tuple[str, list[tuple[int, int]]], minimum: float,
                given: str) -> tuple[tuple[int, int], str | None]:
        """The passage's best-supporting sentence for `claim`, and why it does not back it (None: it does)."""
        text, spans = passage
        span, window = self.best_support(claim, text, spans)
        return span, self.problem(claim, text[span[0]:span[1]], window, minimum, given)

    def best_support(self, claim: str, text: str, spans: list[tuple[int, int]]) -> tuple[tuple[int, int], str]:
        """The passage's sentence that shares most of the claim's words, and that sentence with
        its neighbours (a claim may join two sentences)."""
        if not spans:
            spans = [(0, len(text))]
        best = max(range(len(spans)), key=lambda i: self.keywords.weighted_recall(claim, text[spans[i][0]:spans[i][1]]))
        first, last = max(0, best - NEIGHBOURS), min(len(spans) - 1, best + NEIGHBOURS)
        return spans[best], text[spans[first][0]:spans[last][1]]

    def problem(self, claim: str, sentence: str, window: str, minimum: float, given: str = "") -> str | None:
        """Why the cited `sentence` (with its neighbours, `window`) does not back `claim`, or None
        when it does. Polarity and the actors' order are held against the sentence itself, so a
        negation in a neighbouring sentence cannot cover one added to the claim."""
        if negations(claim) != negations(sentence):
            return "polarity differs (a negation added or dropped)"
        missing = numbers(claim) - numbers(window)
        if missing:
            return f"numbers not in the cited text: {sorted(missing)}"
        claimed = actors(claim)
        absent = [a for a in claimed if a not in actors(window) + actors(given)]
        if absent:
            return f"actors not in the cited text: {absent}"
        # an actor named more often than in the cited sentence where another is named less often:
        # one put in another's place (also one of two mentions)
        uses, cited_uses = actor_uses(claim), actor_uses(sentence)
        more = [a for a in uses if uses[a] > cited_uses[a]]
        fewer = [a for a in cited_uses if cited_uses[a] > uses[a]]
        if more and fewer:
            return f"actors replaced: '{more[0]}' named where the cited sentence names '{fewer[0]}'"
        with_claimed, with_cited = partners(claim), partners(window)
        if with_claimed - with_cited:
            return f"actors swapped: {sorted(with_claimed)} acting with, against {sorted(with_cited)}"
        acting = [a for a in claimed if a not in with_claimed]
        # the order as the cited sentence has it when it names both; else as the window does (a
        # neighbour that names the rijk first says nothing of who acts in the cited sentence)
        ordered = sentence if len(set(actors(sentence)) & set(acting)) > 1 else window
        order = [a for a in actors(ordered) if a in acting and a not in with_cited]
        if len(order) > 1 and order != [a for a in acting if a in order]:
            return f"actors swapped: {acting} against {order}"
        changed = self.oppositions.contradiction(claim, sentence, window)
        if changed:
            return changed
        said = f"{window} {self.synonyms.of(window)}"
        coverage = self.keywords.weighted_recall(claim, said)
        if coverage < minimum:
            return f"content words not in the cited text (coverage {coverage:.2f} < {minimum})"
        absent = self.keywords.absent(claim, f"{said} {given}")
        unaccounted = [word for word, rarity in absent.items() if rarity >= MEANING_RARITY and not everyday(word)]
        if unaccounted:
            return f"a word the cited text does not hold: '{unaccounted[0]}'"
        added = sum(absent.values())
        if added > NEW_WEIGHT_MAX:
            return f"says more than the cited text (new words weigh {added:.2f} > {NEW_WEIGHT_MAX})"
        return None
