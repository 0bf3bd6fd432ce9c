"""Who may read what, without a server: a document's audience, a reader's groups and roles from
the provider's claims or a login, and the views that leave the other documents out."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from assistant.config import Settings, SettingsError
from assistant.index.documents import audience_of, load_document
from assistant.index.library import DocumentRefused, checked_description
from assistant.index.served import ServedChunks, ServedDocument, ServedDocuments
from assistant.interfaces.access import Access, AccessRefused
from assistant.interfaces.login_throttle import LoginThrottle
from assistant.interfaces.sign_in import Roles, session_reader
from assistant.records.store import Records
from assistant.types import PUBLIC_AUDIENCE, Chunk, Document, Reader, SourceMap

INTERNAL = Document("werkinstructie.md", "", "Werkinstructie", audience=("wijkteam",))
PUBLIC = Document("propositie.txt", "", "De waarde van het sociaal domein")
FOR_TWO = Document("memo.md", "", "Memo", audience=("beleid", "wijkteam"))


def test_a_document_is_for_everyone_unless_its_audience_names_groups():
    assert PUBLIC.audience == (PUBLIC_AUDIENCE,)
    assert Reader().may_read(PUBLIC) and not Reader().may_read(INTERNAL)
    anna, bert = Reader("anna", frozenset({"wijkteam"})), Reader("bert", frozenset({"beleid"}))
    assert anna.may_read(INTERNAL) and anna.may_read(FOR_TWO) and anna.may_read(PUBLIC)
    assert not bert.may_read(INTERNAL) and bert.may_read(FOR_TWO)
    assert not Reader("admin", admin=True).may_read(INTERNAL), "a role is no group: admins manage, groups read"


def test_the_manifest_says_the_audience_as_text_or_a_list(tmp_path):
    assert audience_of(None) == audience_of("") == (PUBLIC_AUDIENCE,)
    assert audience_of("wijkteam, beleid") == audience_of(["beleid", "wijkteam"]) == ("beleid", "wijkteam")
    path = tmp_path / "memo.md"
    path.write_text("# Memo\n\nDe tekst.\n", encoding="utf-8")
    assert load_document(path, {"audience": "wijkteam"}).audience == ("wijkteam",)
    assert load_document(path).audience == (PUBLIC_AUDIENCE,)


def test_the_documenten_tab_takes_group_names_and_nothing_else():
    entry = checked_description({"title": "Memo", "audience": " wijkteam ,beleid"})
    assert entry["audience"] == "wijkteam, beleid"
    assert checked_description({"title": "Memo"})["audience"] == PUBLIC_AUDIENCE
    with pytest.raises(DocumentRefused) as refused:
        checked_description({"title": "Memo", "audience": "het wijkteam; <script>"})
    assert "groepsnamen" in refused.value.dutch


def _chunk(source: str, n: int) -> Chunk:
    return Chunk(f"{source}-{n}", source, source, (), "tekst", SourceMap.of([0]), ())


def test_the_keyword_mask_and_the_document_views_leave_out_exactly_the_hidden_documents():
    chunks = ServedChunks.holding([_chunk("a.txt", 0), _chunk("a.txt", 1), _chunk("b.md", 0), _chunk("c.md", 0)])
    assert chunks.readable(frozenset({"b.md"})).tolist() == [True, True, False, True]
    assert chunks.readable(frozenset()).all()
    served = ServedDocuments(ServedDocument(d, None, d) for d in (PUBLIC, INTERNAL, FOR_TWO))
    bert = Reader("bert", frozenset({"beleid"}))
    hidden = served.hidden_from(bert)
    assert hidden == {"werkinstructie.md"}
    view = served.without(hidden)
    assert set(view) == {"propositie.txt", "memo.md"} and view.whole("werkinstructie.md") is None
    assert [d.name for d in view.descriptions()] == ["memo.md", "propositie.txt"]


def test_the_providers_groups_make_the_roles():
    roles = Roles("groups", staff=frozenset({"medewerkers"}), admins=frozenset({"beheer"}))
    anna = roles.reader({"sub": "u-1", "groups": ["medewerkers", "wijkteam"]})
    assert anna == Reader("u-1", frozenset({"medewerkers", "wijkteam"}), admin=False)
    assert roles.reader({"sub": "u-2", "groups": ["beheer"]}).admin, "an admin may ask too"
    assert roles.reader({"sub": "u-3", "groups": ["bezoekers"]}) is None, "signed in, but no staff"
    assert roles.reader({"groups": ["medewerkers"]}) is None, "no subject, no reader"
    everyone = Roles("roles", staff=frozenset(), admins=frozenset())
    assert everyone.reader({"sub": "u-4", "roles": "lezer"}).groups == {"lezer"}, "one role as a string"


def test_the_session_holds_who_signed_in():
    assert session_reader({}) is None and session_reader({"user": "x"}) is None
    reader = session_reader({"user": {"sub": "u-1", "groups": ["wijkteam"], "admin": True}})
    assert reader == Reader("u-1", frozenset({"wijkteam"}), admin=True)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_a_login_gets_its_groups_a_static_token_none():
    access = Access([("anna", "geheim-1"), ("beheerder", "geheim-2")], ["t" * 20], LoginThrottle(),
                    {"anna": frozenset({"wijkteam"})}, frozenset({"beheerder"}))
    assert access.check(_basic("anna", "geheim-1"), "1.2.3.4") == Reader("anna", frozenset({"wijkteam"}))
    assert access.check(_basic("beheerder", "geheim-2"), "1.2.3.4").admin
    assert access.check("Bearer " + "t" * 20, "1.2.3.4") == Reader("api-token")
    with pytest.raises(AccessRefused) as refused:
        access.check("Bearer een-ander-token-dat-niet-klopt", "1.2.3.4")
    assert refused.value.status == 401
    assert Access([], [], LoginThrottle()).check("", "1.2.3.4") == Reader(), "no login at all: openbaar only"


def test_settings_for_sign_in_and_login_groups_are_checked_at_start():
    base = Settings()
    assert replace(base, login_groups="anna:wijkteam+beleid, bert:beleid").login_group_map == {
        "anna": {"wijkteam", "beleid"}, "bert": {"beleid"}}
    for wrong in (replace(base, login_groups="anna"), replace(base, oidc_issuer="https://login.gemeente.nl"),
                  replace(base, oidc_issuer="http://login.gemeente.nl", oidc_client_id="a", oidc_client_secret="b"),
                  replace(base, session_secret="kort")):
        with pytest.raises(SettingsError):
            wrong.checked()
    configured = replace(base, oidc_issuer="https://login.gemeente.nl", oidc_client_id="assistent",
                         oidc_client_secret="geheim", oidc_staff_groups="medewerkers, balie").checked()
    assert configured.oidc_staff == {"medewerkers", "balie"} and configured.oidc_configured
    assert replace(base, ui_host="0.0.0.0", ui_allowed_hosts="assistent.gemeente.nl", oidc_issuer="https://x",
                   oidc_client_id="a", oidc_client_secret="b").check_exposure() is None, "sign-in is a login"


def test_the_audit_trail_keeps_who_did_what_and_refuses_an_unknown_action(tmp_path):
    records = Records(f"sqlite:///{tmp_path / 'audit.sqlite3'}")
    records.add_audit("u-1", "sign_in")
    records.add_audit("beheerder", "upload", "memo.md")
    assert records.flush()
    assert [(e["subject"], e["action"], e["target"]) for e in records.audit()] == [
        ("u-1", "sign_in", ""), ("beheerder", "upload", "memo.md")]
    with pytest.raises(ValueError):
        records.add_audit("u-1", "delete_everything")
    kept = Records(records.url, retention_days=30)
    assert kept.prune(now=datetime.now(UTC) + timedelta(days=31)) == 2 and kept.audit() == [], "the same retention"
