"""The Algoritmeregister entry: the standard's required fields, choices and limits, filled from settings."""

from __future__ import annotations

import json

import pytest

from assistant.config import Settings
from assistant.interfaces.cli import main
from assistant.interfaces.register import ENTRY, LIMITS, REQUIRED, EntryError, entry_problems, filled_entry

MUNICIPALITY = Settings(organisation_name="Gemeente Noorderhaaks", organisation_contact="algoritmes@noorderhaaks.nl")


def test_the_projects_entry_filled_with_the_municipalitys_fields_meets_the_standard():
    entry = filled_entry(MUNICIPALITY)
    assert entry["organization"] == "Gemeente Noorderhaaks" and entry["contact_email"] == "algoritmes@noorderhaaks.nl"
    assert all(entry[field] for field in REQUIRED) and entry["lang"] == "nld"
    assert len(entry["description_short"]) < LIMITS["description_short"] == 350
    assert entry_problems(entry) == []


def test_each_kind_of_fault_is_named():
    entry = json.loads(ENTRY.read_text(encoding="utf-8")) | {"organization": "Gemeente Noorderhaaks"}
    broken = entry | {"contact_email": "bel ons", "status": "Actief", "description_short": "x" * 350,
                      "begin_date": "maart 2026", "lang": ""}
    problems = "; ".join(entry_problems(broken))
    for fault in ("contact_email is neither", "status is 'Actief'", "description_short has 350 characters",
                  "begin_date is not yyyy-mm", "lang is empty"):
        assert fault in problems


def test_without_the_organisation_the_command_says_which_settings_and_exits_2(monkeypatch, capsys):
    with pytest.raises(EntryError, match="organization is empty; contact_email is empty"):
        filled_entry(Settings())
    for name in ("ORGANISATION_NAME", "ORGANISATION_CONTACT"):
        monkeypatch.delenv(name, raising=False)
    assert main(["register"]) == 2
    monkeypatch.setenv("ORGANISATION_NAME", "Gemeente Noorderhaaks")
    monkeypatch.setenv("ORGANISATION_CONTACT", "https://www.noorderhaaks.nl/algoritmes")
    assert main(["register"]) == 0
    assert json.loads(capsys.readouterr().out)["contact_email"] == "https://www.noorderhaaks.nl/algoritmes"
