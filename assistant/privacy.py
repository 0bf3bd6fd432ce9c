"""Personal data out: a resident's BSN, IBAN, phone number, e-mail address, address, date of
birth and (optionally) name are replaced by a placeholder before a question goes anywhere.

Front-desk staff type residents' details into their questions. The answer path reads the
filtered question from the start (`Answerer.stream`), so retrieval, the LLM and its rewrite, the
trace, the session and the feedback log never see the original; the question is still answered,
since a placeholder carries no topic. Numbers are checked before they are taken for personal
data where a check exists (the BSN's 11-proef, the IBAN's mod-97), so an amount or a year in a
policy question stays; a number labelled as a BSN ("BSN 123456789") is removed whatever its check.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from .types import PersonalData, Redaction

# A date with day precision this many years ago or longer is taken for a date of birth
# (an adult's); more recent dates are left alone, since policy questions name them ("1-1-2015").
BIRTH_DATE_MIN_AGE_YEARS = 16
PLACEHOLDER = re.compile("|".join(re.escape(kind.value) for kind in PersonalData))
MONTHS = ("januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december|"
          "jan|feb|mrt|apr|jun|jul|aug|sep|sept|okt|nov|dec")

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# NL91 ABNA 0417 1643 00, with or without spaces; other countries' IBANs too (checked by mod-97)
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", re.IGNORECASE)
DUTCH_IBAN = re.compile(r"NL\d{2}[A-Z]{4}\d{10}")
# nine digits, grouped by dots, spaces or dashes as people type them (8-digit BSNs have a leading 0)
NINE_DIGITS = re.compile(r"(?<![\d.,])\d(?:[ .]?\d){7,8}(?!\d|[.,]\d)")
BSN_LABEL = re.compile(r"\b(?:bsn|burgerservicenummer|sofinummer|sofi-nummer)\b\W{0,3}$", re.IGNORECASE)
# 06-12345678, 010 123 4567, +31 6 1234 5678, 0031 (0)20 1234567; not 14 020 (a municipality's number)
PHONE = re.compile(r"(?<![\w+])(?:(?:\+|00)31[ -]?(?:\(0\)[ -]?)?|0)[1-9](?:[ -]?\d){8}(?!\d)")
# 1234 AB (SA, SD and SS are never used), 1234ab, with the house number when it follows
POSTCODE = re.compile(r"\b[1-9]\d{3}(?: ?(?!SA|SD|SS)[A-Z]{2}|(?!sa|sd|ss)[a-z]{2})\b"
                      r"(?:[ ,]+\d{1,5}(?: ?[a-zA-Z]\b|-\d+)?)?")
STREET = re.compile(
    r"\b[A-Z][a-zà-ÿ'-]*(?:straat|laan|weg|plein|gracht|kade|singel|dijk|pad|steeg|hof|park|dreef|baan|markt|"
    r"ring|dam|wal|veld|erf|plantsoen|allee|boulevard|hoven|burg|brink)\s+\d{1,5}(?:\s?[a-zA-Z]\b|-\d+)?")
NUMERIC_DATE = re.compile(r"\b(\d{1,2})[-/.](\d{1,2})[-/.]((?:19|20)\d{2})\b")
WRITTEN_DATE = re.compile(rf"\b\d{{1,2}}\s+(?:{MONTHS})\.?\s+(?:19|20)\d{{2}}\b", re.IGNORECASE)
BIRTH_LABEL = re.compile(r"\b(?:geboren|geb\.?|geboortedatum|geb\.?\s?datum)\s*(?:op\s+)?[:(]?\s*$", re.IGNORECASE)
# a name after a form of address: "mevrouw Jansen", "dhr. P. de Vries", "familie El Amrani"
NAME = re.compile(
    r"\b((?i:mevrouw|meneer|mevr\.|mw\.|dhr\.|de heer|familie|fam\.))(\s+)"
    r"((?:[A-Z]\.\s?)*(?:(?i:van|de|der|den|te|ten|ter|het|el|al)\s+)*[A-Z][\w'’-]*(?:[- ][A-Z][\w'’-]+)*)",
)


def bsn_valid(digits: str) -> bool:
    """The 11-proef: 9*d1 + 8*d2 + ... + 2*d8 - d9 is a multiple of 11 (and not all zeros)."""
    if len(digits) == 8:
        digits = "0" + digits
    if len(digits) != 9 or not digits.isdigit() or int(digits) == 0:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - int(digits[8])
    return total % 11 == 0


def iban_valid(iban: str) -> bool:
    """ISO 13616 mod-97: the country and check digits moved to the end, letters as 10..35."""
    compact = re.sub(r"\s", "", iban).upper()
    if not 15 <= len(compact) <= 34 or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


class PersonalDataFilter:
    """Replaces personal data in a text by placeholders (see PersonalData)."""

    def __init__(self, names: bool = True, today: Callable[[], date] = date.today):
        self.names = names
        self.today = today

    def redact(self, text: str) -> Redaction:
        found: list[PersonalData] = []

        def replace(pattern: re.Pattern, kind: PersonalData, keep: Callable[[re.Match], bool] = lambda m: True,
                    placeholder: Callable[[re.Match], str] | None = None) -> None:
            nonlocal text

            def one(match: re.Match) -> str:
                if not keep(match):
                    return match.group(0)
                found.append(kind)
                return placeholder(match) if placeholder else kind.value

            text = pattern.sub(one, text)

        # the longest and most specific first, so that a part of one is not taken for another
        replace(EMAIL, PersonalData.EMAIL)
        replace(IBAN, PersonalData.IBAN,
                keep=lambda m: iban_valid(m.group(0)) or bool(DUTCH_IBAN.fullmatch(re.sub(r"\s", "", m.group(0)))))
        replace(NUMERIC_DATE, PersonalData.BIRTH_DATE, keep=lambda m: self._birth_date(m, text))
        replace(WRITTEN_DATE, PersonalData.BIRTH_DATE, keep=lambda m: _labelled_birth(m, text))
        replace(PHONE, PersonalData.PHONE)
        replace(NINE_DIGITS, PersonalData.BSN, keep=lambda m: not NUMERIC_DATE.fullmatch(m.group(0)) and (
            bsn_valid(re.sub(r"\D", "", m.group(0))) or bool(BSN_LABEL.search(text[max(0, m.start() - 30):m.start()]))))
        replace(POSTCODE, PersonalData.ADDRESS)
        replace(STREET, PersonalData.ADDRESS)
        if self.names:
            replace(NAME, PersonalData.NAME, placeholder=lambda m: f"{m.group(1)}{m.group(2)}{PersonalData.NAME.value}")
        return Redaction(text, tuple(dict.fromkeys(found)))

    def _birth_date(self, match: re.Match, text: str) -> bool:
        if _labelled_birth(match, text):
            return True
        day, month, year = (int(g) for g in match.groups())
        return 1 <= day <= 31 and 1 <= month <= 12 and year <= self.today().year - BIRTH_DATE_MIN_AGE_YEARS


def _labelled_birth(match: re.Match, text: str) -> bool:
    return bool(BIRTH_LABEL.search(text[max(0, match.start() - 25):match.start()]))


def without_placeholders(text: str) -> str:
    """The text with the placeholders taken out: what is searched and read for its meaning."""
    return re.sub(r"\s{2,}", " ", PLACEHOLDER.sub(" ", text)).strip()
