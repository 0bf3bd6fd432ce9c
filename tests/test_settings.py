"""Settings are checked at start: a bad value is a clear English error, never a traceback later."""

from __future__ import annotations

import pytest

from assistant.config import Settings, SettingsError


@pytest.mark.parametrize("name, value, says", [
    ("LLM_TIMEOUT", "nan", "finite"), ("LLM_TIMEOUT", "inf", "finite"), ("LLM_TIMEOUT", "0", "between"),
    ("TOP_K", "0", "between"), ("TOP_K", "abc", "must be a number"), ("TOP_K", "2.5", "whole number"),
    ("UI_CONCURRENCY", "0", "between"), ("FOUND_THRESHOLD", "nan", "finite"), ("FOUND_THRESHOLD", "3", "between"),
    ("UI_PORT", "70000", "between"), ("FEEDBACK_RETENTION_DAYS", "-1", "between"),
    ("PRIVACY_NAMES", "misschien", "true or false"), ("UI_AUTH", "alleen-een-naam", "user:password"),
    ("LLM_BASE_URL", "http://127.0.0.1:1/v1", "LLM_MODEL"), ("EMBEDDING_PRECISION", "int4", "fp32, int8"),
])
def test_a_bad_setting_is_refused_with_its_name(monkeypatch, name, value, says):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        Settings.from_env()
    assert name in str(error.value) and says in str(error.value)


def test_privacy_settings(monkeypatch):
    monkeypatch.setenv("PRIVACY_NAMES", "nee")
    monkeypatch.setenv("FEEDBACK_RETENTION_DAYS", "30")
    monkeypatch.setenv("REFERRAL_TEXT", "  Bel 14 020 voor uw eigen situatie.  ")
    settings = Settings.from_env()
    assert not settings.redact_names and settings.feedback_retention_days == 30
    assert settings.referral_text == "Bel 14 020 voor uw eigen situatie."
