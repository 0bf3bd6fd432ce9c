"""The assistant's entry for the government's Algoritmeregister (publication standard 1.0).

`docs/algoritmeregister.json` says what the project does, written once; the fields that belong
to the municipality running it come from its settings (`ORGANISATION_NAME`,
`ORGANISATION_CONTACT`). `python -m assistant register` prints the filled entry, checked against
the standard's required fields, choices and length limits.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..config import PROJECT_ROOT, Settings

ENTRY = PROJECT_ROOT / "docs" / "algoritmeregister.json"
# field -> the most characters the standard allows (its "Tekst (<n tekens)")
LIMITS = {"name": 100, "description_short": 350, "organization": 100, "goal_and_impact": 2500,
          "considerations": 2500, "human_intervention": 2500, "risk_management": 2500, "legal_basis": 2500,
          "source_data": 2500, "methods_and_models": 2500, "provider": 100}
# the standard's "Verplicht" fields, with those the issue names as what the entry must say
REQUIRED = ["name", "description_short", "organization", "status", "contact_email", "publication_category",
            "category", "goal_and_impact", "considerations", "human_intervention", "risk_management", "legal_basis",
            "source_data", "methods_and_models", "provider", "lang"]
CHOICES = {"status": {"In gebruik", "In ontwikkeling", "Buiten gebruik"},
           "publication_category": {"Hoog-risico AI-systemen", "Impactvolle algoritmes", "Overige algoritmes"},
           "lang": {"nld"}}
CONTACT = re.compile(r"^(https://\S+|[^@\s]+@[^@\s]+\.[a-z]{2,})$", re.IGNORECASE)
YEAR_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class EntryError(ValueError):
    """The entry does not meet the standard; the message names each field and why (English)."""


def filled_entry(settings: Settings, template: Path = ENTRY) -> dict:
    """The project's entry with the municipality's own fields, checked."""
    entry = json.loads(template.read_text(encoding="utf-8"))
    entry["organization"] = settings.organisation_name
    entry["contact_email"] = settings.organisation_contact
    problems = entry_problems(entry)
    if problems:
        raise EntryError("; ".join(problems))
    return entry


def entry_problems(entry: dict) -> list[str]:
    """What keeps the entry from the register: a missing required field, a choice the standard
    does not offer, a text beyond its limit, a contact that is no e-mail address or https URL."""
    problems = [f"{field} is empty" for field in REQUIRED if not entry.get(field)]
    problems += [f"{field} is {entry[field]!r}, not one of {sorted(options)}" for field, options in CHOICES.items()
                 if entry.get(field) and entry[field] not in options]
    problems += [f"{field} has {len(entry[field])} characters; the standard allows fewer than {limit}"
                 for field, limit in LIMITS.items() if len(entry.get(field) or "") >= limit]
    if entry.get("contact_email") and not CONTACT.match(entry["contact_email"]):
        problems.append("contact_email is neither an e-mail address nor an https:// URL")
    if entry.get("begin_date") and not YEAR_MONTH.match(entry["begin_date"]):
        problems.append("begin_date is not yyyy-mm")
    return problems
