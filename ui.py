"""The chat page: Dutch questions in, cited answers and their sources out (Gradio 6).

    python ui.py        (what `make run` starts; builds the index first when it is missing)

Only presentation lives here: every answer comes from `assistant.pipeline`. Everything a user
typed is shown as text, never as markup: it is escaped before it reaches the chat, and the
chat's own HTML sanitising stays on behind that.
"""

from __future__ import annotations

import sys

from assistant.config import Settings, SettingsError


def checked_settings() -> Settings:
    """The page's settings, or exit 2 with the reason (in English, for whoever starts it)."""
    try:
        settings = Settings.from_env()
        settings.check_exposure()
    except SettingsError as bad:
        print(f"Cannot start the page: {bad}", file=sys.stderr)
        raise SystemExit(2) from None
    return settings


if __name__ == "__main__":
    checked_settings()  # before the imports below (~5 s): a misconfigured page is refused at once

import html
import json
import logging
import os
import re
import secrets
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path

import gradio as gr
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from assistant.answering.citations import QuoteFinder, QuoteMatch, passage_in_document
from assistant.answering.prompts import (
    ANSWER_LABELS,
    GLOSSARY_HEADING,
    MODE_LABELS,
    SOMETHING_WENT_WRONG,
    SOURCES_HEADING,
    STORE_UNAVAILABLE,
    TRACE_STEPS,
    TRACE_TITLE,
    personal_data_notice,
)
from assistant.answering.question import BadQuestion, check_question
from assistant.config import PROJECT_ROOT
from assistant.index.documents import SUPPORTED_SUFFIXES
from assistant.index.embeddings import embed_queries
from assistant.index.library import MANIFEST_FIELDS, DocumentLibrary, DocumentRefused
from assistant.index.store import IndexBusy, StoreUnavailable
from assistant.interfaces.access import Access
from assistant.interfaces.api import build_api
from assistant.interfaces.export import answer_as_text, conversation_markdown
from assistant.interfaces.headers import SecurityHeaders
from assistant.interfaces.login_throttle import LoginThrottle, login_ok
from assistant.interfaces.mcp_server import build_mcp, http_route
from assistant.interfaces.openai_chat import CHAT_PREFIX, build_chat_app
from assistant.interfaces.session import Session
from assistant.interfaces.sign_in import (
    LOGOUT_PATH,
    SESSION_COOKIE,
    SESSION_HOURS,
    IdentityProvider,
    SignInFirst,
    add_sign_in,
    session_reader,
)
from assistant.logs import setup_logging
from assistant.pipeline import Pipeline, load_pipeline
from assistant.records.insights import INSIGHT_DAYS, OUTCOMES, gaps, gaps_csv, gaps_markdown, summary
from assistant.records.store import Records, database_url
from assistant.types import Answer, Chunk, Document, Mode, NumberedPassage, Reader

log = logging.getLogger("assistant.ui")

# On SIGTERM (a restart, a deployment) requests in progress get this long to finish; open
# connections that stay idle (a client's event stream) no longer keep the process alive.
SHUTDOWN_GRACE_SECONDS = 5
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

TITLE = "Vraag het de documenten: De waarde van het sociaal domein"
INTRO = ("Stel een vraag in gewone taal over de propositie *De waarde van het sociaal domein* "
         "(VNG, Divosa en de gemeentelijke netwerken) en de pagina's eromheen.")
EXAMPLES = [
    "Wat vragen gemeenten van het rijk voor de jeugdhulp?",
    "Mijn buurvrouw kan de huur niet meer betalen. Staat er iets over wat de gemeente dan doet?",
    "Wat bedoelen ze met bestaanszekerheid?",
]
LOOKUP_EXAMPLES = ["pleisters plakken op losse problemen", "meer normaliseren, minder medicaliseren"]
SEARCHING = "Ik zoek in de documenten…"
LOOKUP_NOT_EXACT = "Niet letterlijk gevonden; dit komt het dichtst bij:"
LOOKUP_EXACT = "Staat er letterlijk"
FEEDBACK_THANKS = "Dank u, uw beoordeling is opgeslagen."
LOGIN_MESSAGE = "Log in met de gegevens die u van uw beheerder kreeg."
NOTHING_TO_TAKE = "Er is nog geen antwoord om mee te nemen; stel eerst een vraag."
ANSWER_COPIED = "Het antwoord staat met zijn bronnen op het klembord."
CONVERSATION_DOWNLOADED = "Het gesprek is gedownload als Markdown-bestand."
CONVERSATION_FILE = "gesprek-sociaal-domein.md"
CHOOSE_A_SOURCE = "Kies eerst een bron uit het laatste antwoord."
DOCUMENT_GONE = "Dit document staat niet meer in de index."
# the Documenten tab (UI_ADMIN)
ADMIN_ONLY = "Alleen een beheerder kan documenten wijzigen; log eerst in."
ADMIN_LOGIN_FAILED = "Gebruikersnaam of wachtwoord klopt niet."
ADMINS_SIGN_IN = ("Documenten beheren kan alleen met een beheerdersaccount van de gemeente. Uw account heeft die "
                  "rechten niet; vraag ze aan bij de beheerder.")
ADMIN_TOO_MANY_TRIES = "Te veel mislukte pogingen; probeer het over een minuut opnieuw."
CHOOSE_A_FILE = "Kies eerst een bestand."
CONFIRM_REMOVAL = "Vink eerst aan dat u het document uit de index wilt halen."
LAST_DOCUMENT = "Het laatste document kan niet worden verwijderd: dan valt er niets meer te doorzoeken."
DOCUMENT_ADDED = "{name} is toegevoegd."
DOCUMENT_DESCRIBED = "De gegevens van {name} zijn opgeslagen."
DOCUMENT_REMOVED = "{name} is uit de index gehaald (het bestand is bewaard)."
INDEXING = ("Bezig met indexeren: document {done} van {total}. Tot het klaar is, antwoordt de pagina uit de "
            "vorige index.")
INDEXED = "De index is bijgewerkt ({added} passages nieuw, {removed} weg, {kept} ongewijzigd) en wordt nu gebruikt."
INDEX_BUSY = "Er loopt al een indexering; probeer het straks opnieuw met Opnieuw indexeren."
PROGRESS_SECONDS = 0.5  # how often the Documenten tab says how far a rebuild is
GAPS_PLOTTED = 15  # the largest topics in the Inzichten tab's bar chart (the table has them all)
REPORT_MAX_BYTES = 2_000_000  # an evaluation report shown in the Inzichten tab
NOTHING_GROUPED = "Groepeer eerst de onbeantwoorde vragen."
SKIPPED_KIND = "overgeslagen"  # a file of the documents folder that could not be read
# Accessibility (WCAG 2.1 AA): contrast of at least 4.5:1 for the primary buttons, highlights and
# citation blocks, and a focus ring that is always visible.
CSS = """
pre code { white-space: pre-wrap !important; word-break: break-word; }
button.primary { background: #1d4ed8 !important; color: #ffffff !important; border-color: #1d4ed8 !important; }
button.primary:hover { background: #1e3a8a !important; }
mark { background: #fde68a !important; color: #111827 !important; }
pre, pre code, pre code span { color: #111827 !important; background: #f3f4f6 !important; }
:focus-visible { outline: 3px solid #1d4ed8 !important; outline-offset: 2px; }
#gesprek details { margin: 0.4em 0; }
#gesprek details details { margin-left: 1.25em; }
#gesprek summary { cursor: pointer; font-weight: 600; }
#gesprek details.bron > summary { font-weight: 400; }
#beheer-bestand .or { color: #4b5563 !important; }
"""
# The page is Dutch (WCAG 3.1.1), from its first moment and for good: Gradio's own translations
# set <html lang> to the browser's language ("en") when they have loaded, which under load came
# after the page's script below had said "nl" (the page then stayed "en" for a screen reader).
PAGE_HEAD = """<script>
(() => {
  const dutch = () => { if (document.documentElement.lang !== 'nl') document.documentElement.lang = 'nl'; };
  dutch();
  new MutationObserver(dutch).observe(document.documentElement, {attributes: true, attributeFilter: ['lang']});
})();
</script>"""
# The upload area's name is the text it shows (WCAG 2.5.3; Gradio names it otherwise), and so is
# an answer's: Gradio names a message by its raw Markdown, which a screen reader would read with
# the <details> markup of its sources.
PAGE_JS = r"""
() => {
  const mend = () => {
    document.querySelectorAll('#beheer-bestand button.upload-container').forEach(area => {
      const shown = area.innerText.replace(/\s+/g, ' ').trim();
      if (shown && area.getAttribute('aria-label') !== shown) area.setAttribute('aria-label', shown);
    });
    document.querySelectorAll('#gesprek [data-testid="bot"][aria-label]').forEach(message => {
      const shown = message.innerText.replace(/\s+/g, ' ').trim();
      if (shown && message.getAttribute('aria-label') !== shown) message.setAttribute('aria-label', shown);
    });
  };
  new MutationObserver(mend).observe(document.body, {subtree: true, childList: true, characterData: true,
                                                     attributes: true, attributeFilter: ['class', 'aria-label']});
  mend();
}
"""
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>:@$])")
NO_LATEX: list[dict] = []  # "$$...$$" in a question, a document or an LLM answer is text, never KaTeX


def as_text(text: str) -> str:
    """Text to show literally in a Markdown view: no HTML, no Markdown formatting, no links
    (":" and "@" are escaped too, or "http://..." and addresses become links by themselves)."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def citation_block(text: str) -> str:
    """A fenced block: shown as typed, with the page's own copy button."""
    return "```text\n" + text.replace("`", "'") + "\n```"


def highlighted(text: str, spans: list[tuple[int, int]]) -> str:
    out, last = [], 0
    for start, end in sorted(spans):
        out += [as_text(text[last:start]), "<mark>", as_text(text[start:end]), "</mark>"]
        last = end
    out.append(as_text(text[last:]))
    return "".join(out)


TRACE_ITEMS = 5  # of a list in a trace step, the first ones shown
TRACE_VALUE_CHARS = 160


def trace_value(value) -> str:
    """A trace field for reading: a passage as its source and score, a list shortened."""
    if isinstance(value, dict):
        if "source" in value:
            label = value.get("section") or value.get("sentence") or ""
            score = f" ({value['score']})" if "score" in value else ""
            return f"{value['source']}{score} {label}".strip()[:TRACE_VALUE_CHARS]
        return "; ".join(f"{k}: {trace_value(v)}" for k, v in value.items())[:TRACE_VALUE_CHARS]
    if isinstance(value, list):
        shown = [trace_value(v) for v in value[:TRACE_ITEMS]]
        more = f" (+{len(value) - TRACE_ITEMS})" if len(value) > TRACE_ITEMS else ""
        return ("[" + " | ".join(shown) + "]" + more) if shown else "[]"
    return str(value)[:TRACE_VALUE_CHARS]


def trace_markdown(answer: Answer) -> str:
    """The answer's trace: each stage with what it found and how long it took."""
    lines = []
    for step in answer.trace:
        fields = "; ".join(f"{name}: {trace_value(value)}" for name, value in step.fields.items())
        lines.append(f"- **{as_text(TRACE_STEPS.get(step.step, step.step))}** ({step.ms:.0f} ms): {as_text(fields)}")
    return "\n".join(lines)


def collapsible(title: str, markdown: str, kind: str) -> str:
    """A block that opens and closes (HTML <details>: a keyboard and a screen reader know it, and
    Gradio's sanitiser keeps it); its title is text, its inside Markdown."""
    return f'<details class="{kind}"><summary>{html.escape(title)}</summary>\n\n{markdown}\n\n</details>'


def answer_message(answer: Answer, tell_personal_data: bool = False) -> dict:
    """One chat message per answer, so that it has one copy button and one thumbs pair: the
    answer (with, for a resident, its hard words explained and the referral line), then its
    sources in one closed block ("Bronnen (3)") with each source closed inside it, then the trace."""
    lines = [as_text(line) for line in answer.text.splitlines()]
    if answer.glossary:
        lines += ["", f"**{as_text(GLOSSARY_HEADING)}**", ""]
        lines += [f"- **{as_text(e.term)}**: {as_text(e.explanation)}" for e in answer.glossary]
    if answer.referral:
        lines += ["", as_text(answer.referral)]
    parts = ["\n".join(lines), f"*{ANSWER_LABELS[answer.mode]}*"]
    if answer.notice:
        parts.insert(0, f"*{as_text(answer.notice)}*")
    if tell_personal_data:
        parts.insert(0, f"*{as_text(personal_data_notice(answer.personal_data))}*")
    if answer.cited_passages:
        sources = "\n\n".join(collapsible(source_label(p), source_markdown(p), "bron") for p in answer.cited_passages)
        parts.append(collapsible(f"{SOURCES_HEADING} ({len(answer.cited_passages)})", sources, "bronnen"))
    if answer.trace:
        parts.append(collapsible(TRACE_TITLE, trace_markdown(answer), "spoor"))
    return {"role": "assistant", "content": "\n\n".join(parts)}


def source_markdown(passage: NumberedPassage) -> str:
    """The passage with the sentences the answer quotes marked, and how to cite it."""
    content = highlighted(passage.chunk.text, passage.highlights)
    also = passage.passage.sources[1:]
    if also:
        content += "\n\n" + as_text("Ook in: " + ", ".join(also))
    return content + "\n\nCiteer als:\n" + citation_block(passage.reference)


def lookup_markdown(phrase: str, matches: list[QuoteMatch]) -> str:
    if not matches:
        return as_text(LOOKUP_NOT_EXACT)
    parts = [] if matches[0].exact else [as_text(LOOKUP_NOT_EXACT)]
    for n, match in enumerate(matches, 1):
        label = LOOKUP_EXACT if match.exact else ("Best passend" if n == 1 else "Ook mogelijk")
        section = match.chunk.section_path or match.chunk.title
        parts.append(f"### {n}. {as_text(label)}\n\n**{as_text(match.chunk.title)}** — {as_text(section)}  \n"
                     f"{as_text(match.chunk.source)}"
                     + (as_text(" (ook in: " + ", ".join(match.also_in) + ")") if match.also_in else "")
                     + "\n\n" + highlighted(match.chunk.text, [match.span]) + "\n\nCiteer als:\n"
                     + citation_block(f"\"{match.quote}\" ({match.reference})"))
    return "\n\n".join(parts)


# ------------------------------------------------------------------ the page
def failure_message(error: Exception, doing: str) -> str:
    """The Dutch message for the user; the English log line (with a traceback when unexpected)."""
    if isinstance(error, StoreUnavailable):
        log.error("%s", error)
        return STORE_UNAVAILABLE
    log.error("%s failed", doing, exc_info=error)
    return SOMETHING_WENT_WRONG


def document_markdown(document: Document, chunk: Chunk | None = None) -> str:
    """The whole cleaned document for reading in the page; the passage `chunk` marked."""
    blocks = passage_in_document(document, chunk) if chunk else [(block, []) for block in document.blocks]
    parts = [f"## {as_text(document.title)}", as_text(document.name)]
    for block, spans in blocks:
        text = highlighted(block.text, spans)
        if block.kind == "heading":
            parts.append("#" * min(block.level + 2, 6) + " " + text)
        else:
            parts.append(("- " if block.kind == "bullet" else "") + text)
    return "\n\n".join(parts)


def source_label(passage: NumberedPassage) -> str:
    return f"[{passage.number}] {passage.chunk.title} — {passage.chunk.section_path or passage.chunk.title}"


def document_rows(pipeline: Pipeline) -> list[list]:
    """The documents in the index, then the folder's files that could not be read, with why."""
    rows = [[d["source"], d["title"], d["kind"], d["chunks"], d["indexed_at"] or ""] for d in pipeline.document_list()]
    return rows + [[f.name, f"Niet geïndexeerd: {f.dutch}", SKIPPED_KIND, 0, ""] for f in pipeline.documents.skipped]


def document_choices(pipeline: Pipeline) -> list[tuple[str, str]]:
    return [(f"{d.title} ({d.name})", d.name) for d in pipeline.documents.descriptions()]


# the copy and the download happen in the browser: nothing of a conversation is written on the server
COPY_JS = """
(text) => {
  if (!text) return %(none)s;
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text);
  } else {  // plain http beyond localhost: the older way
    const area = Object.assign(document.createElement('textarea'), {value: text});
    document.body.appendChild(area); area.select(); document.execCommand('copy'); area.remove();
  }
  return %(done)s;
}
"""
DOWNLOAD_JS = """
(markdown) => {
  if (!markdown) return %(none)s;
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([markdown], {type: 'text/markdown;charset=utf-8'}));
  link.download = %(file)s;
  document.body.appendChild(link); link.click(); link.remove();
  return %(done)s;
}
"""
SCROLL_TO_PASSAGE_JS = """
() => {
  let tries = 0;
  const go = () => {
    const mark = document.querySelector('#document-weergave mark');
    if (mark) mark.scrollIntoView({block: 'center'}); else if (tries++ < 30) setTimeout(go, 100);
  };
  setTimeout(go, 50);
}
"""
# After an answer (and as an LLM answer streams) the newest question and the start of its answer
# are shown, not the chat's bottom: the chat scrolls the question to its top, and the page scrolls
# only as far as needed to show the chat whole.
SHOW_NEWEST_ANSWER_JS = """
() => {
  requestAnimationFrame(() => requestAnimationFrame(() => {
    const questions = document.querySelectorAll('#gesprek .user-row');
    if (!questions.length) return;
    const question = questions[questions.length - 1];
    let scroller = question.parentElement;
    while (scroller && !(scroller.scrollHeight > scroller.clientHeight
                         && /auto|scroll/.test(getComputedStyle(scroller).overflowY))) {
      scroller = scroller.parentElement;
    }
    if (!scroller) return;
    scroller.scrollTop += question.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
    scroller.scrollIntoView({block: 'nearest'});
  }));
}
"""
CHAT_HEIGHT = "min(560px, 58vh)"  # the chat and the controls under it fit a 1280x720 laptop screen


def js_text(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def build_page(pipeline: Pipeline, records: Records, throttle: LoginThrottle | None = None) -> gr.Blocks:
    settings = pipeline.settings

    def readable(request: gr.Request) -> Pipeline:
        """The pipeline as this page's user may read it."""
        return pipeline.for_reader(page_reader(request, settings))

    def respond(question: str, explain: bool, chat: list[dict], conversation: Session, request: gr.Request):
        view = readable(request)
        try:
            question = check_question(question, settings.max_question_chars)
        except BadQuestion as hint:
            yield chat, conversation, gr.update(), str(hint)
            return
        # shown as it is answered: with personal data left out (the answer path does the same)
        asked = {"role": "user", "content": as_text(pipeline.answerer.privacy.redact(question).text)}
        yield chat + [asked, {"role": "assistant", "content": SEARCHING}], conversation, "", ""
        started = time.perf_counter()
        try:
            for update in view.answerer.stream(question, conversation.turns, explain):
                if update.answer is None:  # only sentences that passed the check are in update.text
                    shown = as_text(update.text) if update.text else SEARCHING
                    yield chat + [asked, {"role": "assistant", "content": shown}], conversation, "", ""
            answer = update.answer
        except Exception as error:
            yield chat, conversation, question, failure_message(error, "Answering")
            return
        records.add_exchange(answer, (time.perf_counter() - started) * 1000, "page")
        shown = answer_message(answer, conversation.personal_data_notice_due(answer))
        conversation.add(answer)
        yield chat + [asked, shown], conversation, "", ""

    def respond_at_once(question: str, explain: bool, chat: list[dict], conversation: Session, request: gr.Request):
        """Passages answers take a few tens of milliseconds: shown at once, without the interim
        "searching" update that an LLM answer streams after (one update of the chat, not two)."""
        *_, shown = respond(question, explain, chat, conversation, request)
        return shown

    answer_event = respond if pipeline.mode == Mode.LLM else respond_at_once

    def to_take_along(conversation: Session):
        """The latest answer as plain text, the conversation as Markdown, its sources to view."""
        if not conversation.exchanges:
            return "", "", gr.update(choices=[], value=None)
        last = conversation.answers[-1]
        sources = [(source_label(p), p.number) for p in last.cited_passages]
        return (answer_as_text(last), conversation_markdown(conversation.answers, TITLE),
                gr.update(choices=sources, value=sources[0][1] if sources else None))

    def start_over():
        return [], Session(), "", ""

    def record_feedback(conversation: Session, like: gr.LikeData):
        record = conversation.feedback(like.index, like.liked)
        if record is None:
            return ""
        records.add_feedback(record)
        return FEEDBACK_THANKS

    def look_up(phrase: str, request: gr.Request):
        view = readable(request)
        try:
            phrase = check_question(phrase, settings.max_question_chars)
        except BadQuestion as hint:
            return as_text(str(hint))
        try:
            # looked up in the documents served now (pipeline.refresh may have switched them)
            return lookup_markdown(phrase, QuoteFinder(view.retriever, view.documents).find(phrase))
        except Exception as error:
            return as_text(failure_message(error, "Citation lookup"))

    def view_in_document(number, conversation: Session, request: gr.Request):
        passage = conversation.cited_in_last_answer(number)
        if passage is None:
            return gr.update(), gr.update(), gr.update(), CHOOSE_A_SOURCE
        document = readable(request).documents.whole(passage.chunk.source)
        if document is None:  # removed since the answer was given
            return gr.update(), gr.update(), gr.update(), DOCUMENT_GONE
        return (gr.Tabs(selected="document"), gr.update(value=document.name),
                document_markdown(document, passage.chunk), "")

    def readable_documents(request: gr.Request):
        """The documents this user may read, to choose from."""
        return gr.update(choices=document_choices(readable(request)))

    def view_document(name: str, request: gr.Request):
        document = readable(request).documents.whole(name or "")
        return document_markdown(document) if document else as_text(DOCUMENT_GONE)

    with gr.Blocks(title=TITLE, analytics_enabled=False) as page:
        gr.Markdown(f"# {TITLE}\n{INTRO}")
        # the AI Act's Article 50: said before the first question, as text a screen reader reads
        gr.Markdown(as_text(settings.ai_notice), elem_id="ai-melding")
        gr.Markdown(f"**Modus:** {MODE_LABELS[pipeline.mode]}", elem_id="mode")
        if settings.oidc_configured:
            gr.HTML(f'<a href="{LOGOUT_PATH}">Afmelden</a>', elem_id="afmelden")  # in this tab, not a new one
        with gr.Tabs() as tabs:
            with gr.Tab("Vragen", id="vragen"):
                conversation = gr.State(Session())
                chat = gr.Chatbot(label="Gesprek", height=CHAT_HEIGHT, elem_id="gesprek", layout="panel",
                                  autoscroll=False,
                                  sanitize_html=True, render_markdown=True, latex_delimiters=NO_LATEX,
                                  buttons=["copy"], feedback_options=("Like", "Dislike"),
                                  placeholder="Uw vragen en de antwoorden met bronnen verschijnen hier.")
                with gr.Row(equal_height=True):
                    question = gr.Textbox(show_label=False, scale=6, lines=1, max_lines=6, elem_id="vraag",
                                          placeholder="Stel uw vraag in gewone taal, bijvoorbeeld over jeugdhulp…")
                    explain = gr.Checkbox(label="Leg uit voor een inwoner",
                                          value=False, scale=1, min_width=220, elem_id="uitleg-inwoner")
                    ask = gr.Button("Vraag", variant="primary", scale=1, min_width=100, elem_id="vraag-knop")
                notice = gr.Markdown(elem_id="melding", latex_delimiters=NO_LATEX)
                with gr.Row():
                    source_choice = gr.Dropdown(label="Bron uit het laatste antwoord", choices=[], value=None,
                                                scale=3, min_width=240, elem_id="bron-keuze")
                    view = gr.Button("Bekijk in document", size="sm", scale=1, min_width=120,
                                     elem_id="bekijk-in-document")
                    copy_answer = gr.Button("Kopieer antwoord als tekst", size="sm", scale=1, min_width=120,
                                            elem_id="kopieer-antwoord")
                    download = gr.Button("Download gesprek (Markdown)", size="sm", scale=1, min_width=120,
                                         elem_id="download-gesprek")
                    clear = gr.Button("Nieuw gesprek", size="sm", scale=1, min_width=120, elem_id="nieuw-gesprek")
                gr.Examples(EXAMPLES, inputs=question, label="Voorbeeldvragen")
                answer_text = gr.Textbox(visible="hidden", label="Antwoord als tekst", elem_id="antwoord-als-tekst")
                conversation_text = gr.Textbox(visible="hidden", label="Gesprek als Markdown",
                                               elem_id="gesprek-als-markdown")
            with gr.Tab("Citaat zoeken", id="citaat"):
                gr.Markdown("Typ een zin of zinsdeel dat u zich half herinnert; u krijgt de passage waar het "
                            "staat, de beste eerst, met een citaat om te kopiëren.")
                with gr.Row():
                    phrase = gr.Textbox(show_label=False, scale=8, elem_id="citaat-zin",
                                        placeholder="Bijvoorbeeld: pleisters plakken op losse problemen")
                    find = gr.Button("Zoek citaat", variant="primary", scale=1, elem_id="citaat-knop")
                gr.Examples(LOOKUP_EXAMPLES, inputs=phrase, label="Voorbeelden")
                found = gr.Markdown(elem_id="citaat-resultaat", latex_delimiters=NO_LATEX)
            with gr.Tab("Document", id="document") as document_tab:
                gr.Markdown("Lees een document helemaal; met *Bekijk in document* opent het hier bij de passage, "
                            "die geel gemarkeerd is.")
                document_choice = gr.Dropdown(label="Document", choices=[], value=None, elem_id="document-keuze")
                document_view = gr.Markdown(elem_id="document-weergave", latex_delimiters=NO_LATEX)
            if settings.admin_logins or settings.oidc_admins:
                with gr.Tab("Documenten", id="documenten"):
                    admin = documents_tab(page, pipeline, records, throttle or LoginThrottle())
                with gr.Tab("Inzichten", id="inzichten") as insights:
                    insights_tab(pipeline, records, admin, insights)

        outputs = [chat, conversation, question, notice]
        take_along = [answer_text, conversation_text, source_choice]
        question.submit(answer_event, [question, explain, chat, conversation], outputs, api_name=False,
                        show_progress="minimal").then(to_take_along, conversation, take_along, api_name=False)
        # the one named endpoint: what benchmarks/load.py drives with gradio_client
        ask.click(answer_event, [question, explain, chat, conversation], outputs, api_name="vraag",
                  show_progress="minimal").then(to_take_along, conversation, take_along, api_name=False)
        clear.click(start_over, None, outputs, api_name=False).then(to_take_along, conversation, take_along,
                                                                   api_name=False)
        chat.like(record_feedback, [conversation], notice, api_name=False)
        chat.change(None, js=SHOW_NEWEST_ANSWER_JS, api_name=False)
        for trigger in (phrase.submit, find.click):
            trigger(look_up, phrase, found, api_name=False)
        copy_answer.click(None, answer_text, notice, api_name=False,
                          js=COPY_JS % {"none": js_text(NOTHING_TO_TAKE), "done": js_text(ANSWER_COPIED)})
        download.click(None, conversation_text, notice, api_name=False,
                       js=DOWNLOAD_JS % {"none": js_text(NOTHING_TO_TAKE), "file": js_text(CONVERSATION_FILE),
                                         "done": js_text(CONVERSATION_DOWNLOADED)})
        view.click(view_in_document, [source_choice, conversation], [tabs, document_choice, document_view, notice],
                   api_name=False).then(None, js=SCROLL_TO_PASSAGE_JS)
        document_choice.input(view_document, document_choice, document_view, api_name=False)
        for shown in (page.load, document_tab.select):
            shown(readable_documents, None, document_choice, api_name=False)
    page.queue(default_concurrency_limit=settings.ui_concurrency, max_size=200)
    return page


def documents_tab(page: gr.Blocks, pipeline: Pipeline, records: Records, throttle: LoginThrottle) -> gr.State:
    """The Documenten tab (UI_ADMIN): the documents served, and adding, describing and removing
    them, each followed by a rebuild of the index with its progress. Every action checks the
    admin login on the server; the page keeps answering from the complete previous index until
    the new one is served. Each change goes into the audit trail with the admin's subject id.
    Returns the state that holds who is logged in as admin ("" for nobody; the Inzichten tab
    shares it)."""
    settings = pipeline.settings
    library = DocumentLibrary(settings.seeds_dir, settings.document_max_mb * 1_000_000)
    admins = settings.admin_logins
    building = threading.Lock()  # one rebuild from this page at a time (other builders: IndexBusy)

    def opened(request: gr.Request):
        """An admin signed in with the identity provider, or logged in to the page (UI_AUTH with
        UI_ADMIN), needs no second login."""
        reader = page_reader(request, settings)
        return panels(reader.subject if reader.admin else "")

    def panels(admin: str, message: str = ""):
        rows, names = (document_rows(pipeline), document_choices(pipeline)) if admin else ([], [])
        return (admin, gr.update(visible=not admin), gr.update(visible=bool(admin)), message, rows,
                gr.update(choices=names, value=None))

    def log_in(user: str, password: str, request: gr.Request):
        client = request.client.host if request and request.client else "?"
        if throttle.retry_after(client):
            return panels("", as_text(ADMIN_TOO_MANY_TRIES))
        if not login_ok(user or "", password or "", admins):
            throttle.failed(client)
            log.warning("A failed admin login for the Documenten tab")
            return panels("", as_text(ADMIN_LOGIN_FAILED))
        records.add_audit(user, "sign_in")
        return panels(user, "")

    def rebuilt(done: str, admin: str):
        """Rebuild the index, saying how far it is; then the documents served and `done`."""
        if not building.acquire(blocking=False):
            yield as_text(INDEX_BUSY), gr.update(), gr.update()
            return
        try:
            reached = {"done": 0, "total": 0}
            outcome: dict = {}

            def build() -> None:
                try:
                    outcome["report"] = pipeline.reindex(lambda done, total: reached.update(done=done, total=total))
                except Exception as error:  # noqa: BLE001 - reported below
                    outcome["error"] = error

            worker = threading.Thread(target=build, name="page-reindex", daemon=True)
            worker.start()
            while worker.is_alive():
                worker.join(PROGRESS_SECONDS)
                yield as_text(INDEXING.format(**reached)), gr.update(), gr.update()
            error = outcome.get("error")
            if isinstance(error, IndexBusy):
                yield as_text(done + " " + INDEX_BUSY), gr.update(), gr.update()
                return
            if error is not None:
                yield as_text(failure_message(error, "Rebuilding the index")), gr.update(), gr.update()
                return
            report = outcome["report"]
            records.add_audit(admin, "reindex")
            summary = INDEXED.format(added=report.added, removed=report.removed, kept=report.kept)
            yield as_text(f"{done} {summary}"), document_rows(pipeline), gr.update(choices=document_choices(pipeline),
                                                                                   value=None)
        finally:
            building.release()

    def refused(reason: str):
        """The status for an action not taken; the table and the document choice as they are."""
        return as_text(reason), gr.update(), gr.update()

    def add_document(admin: str, upload: str | None, *description: str):
        """Outputs: the status, the table, the document choice, then the file and its description
        (cleared once the file is taken, or refused: a refused file is chosen anew)."""
        keep = [gr.update()] * len(MANIFEST_FIELDS)
        if not admin:
            yield *refused(ADMIN_ONLY), gr.update(), *keep
            return
        if not upload:
            yield *refused(CHOOSE_A_FILE), gr.update(), *keep
            return
        try:
            name = library.add(Path(upload), Path(upload).name, dict(zip(MANIFEST_FIELDS, description, strict=True)))
        except DocumentRefused as reason:
            log.info("An upload was refused: %s", reason)
            yield *refused(reason.dutch), None, *keep
            return
        records.add_audit(admin, "upload", name)
        for step in rebuilt(DOCUMENT_ADDED.format(name=name), admin):
            yield *step, None, *[""] * len(MANIFEST_FIELDS)

    def describe_document(admin: str, name: str | None, *description: str):
        if not admin:
            yield refused(ADMIN_ONLY)
            return
        try:
            library.describe(name or "", dict(zip(MANIFEST_FIELDS, description, strict=True)))
        except DocumentRefused as reason:
            yield refused(reason.dutch)
            return
        records.add_audit(admin, "describe", name or "")
        yield from rebuilt(DOCUMENT_DESCRIBED.format(name=name), admin)

    def remove_document(admin: str, name: str | None, confirmed: bool):
        if not admin:
            yield refused(ADMIN_ONLY)
            return
        if not confirmed:
            yield refused(CONFIRM_REMOVAL)
            return
        if len(pipeline.documents) <= 1 and name in pipeline.documents:
            yield refused(LAST_DOCUMENT)
            return
        try:
            library.remove(name or "")
        except DocumentRefused as reason:
            yield refused(reason.dutch)
            return
        records.add_audit(admin, "remove", name or "")
        yield from rebuilt(DOCUMENT_REMOVED.format(name=name), admin)

    def reindex(admin: str):
        if not admin:
            yield refused(ADMIN_ONLY)
            return
        yield from rebuilt("", admin)

    def described(name: str | None):
        entry = library.descriptions().get(name or "", {})
        return [entry.get(key) or "" for key in MANIFEST_FIELDS]

    admin = gr.State("")
    with gr.Column(visible=True) as login_panel:
        if not admins:  # only the identity provider's admins: no password here
            gr.Markdown(ADMINS_SIGN_IN)
        gr.Markdown("Log in als beheerder om documenten toe te voegen, te beschrijven of te verwijderen.",
                    visible=bool(admins))
        user = gr.Textbox(label="Gebruikersnaam", elem_id="beheer-naam", visible=bool(admins))
        password = gr.Textbox(label="Wachtwoord", type="password", elem_id="beheer-wachtwoord", visible=bool(admins))
        log_in_button = gr.Button("Inloggen", variant="primary", elem_id="beheer-inloggen", visible=bool(admins))
    status = gr.Markdown(elem_id="beheer-status", latex_delimiters=NO_LATEX)
    with gr.Column(visible=False) as manage_panel:
        table = gr.Dataframe(headers=["Bestand", "Titel", "Soort", "Passages", "Geïndexeerd (UTC)"],
                             interactive=False, label="Documenten in de index", elem_id="documenten-lijst")
        with gr.Accordion("Document toevoegen", open=True):
            limits = f"{', '.join(SUPPORTED_SUFFIXES)}; hoogstens {settings.document_max_mb} MB"
            upload = gr.File(label=f"Bestand ({limits})", file_types=list(SUPPORTED_SUFFIXES), type="filepath",
                             elem_id="beheer-bestand")
            new_description = description_fields("nieuw")
            add = gr.Button("Toevoegen en indexeren", variant="primary", elem_id="beheer-toevoegen")
        with gr.Accordion("Document beschrijven of verwijderen", open=False):
            chosen = gr.Dropdown(label="Document", choices=[], value=None, elem_id="beheer-document")
            description = description_fields("bestaand")
            save = gr.Button("Gegevens opslaan en indexeren", elem_id="beheer-opslaan")
            confirmed = gr.Checkbox(label="Ja, haal dit document uit de index (het bestand wordt bewaard)",
                                    elem_id="beheer-bevestig")
            remove = gr.Button("Verwijderen en indexeren", variant="stop", elem_id="beheer-verwijderen")
        reindex_button = gr.Button("Opnieuw indexeren", elem_id="beheer-herindexeren")

    shown = [admin, login_panel, manage_panel, status, table, chosen]
    changed = [status, table, chosen]
    page.load(opened, None, shown, api_name=False)
    for trigger in (log_in_button.click, password.submit):
        trigger(log_in, [user, password], shown, api_name=False).then(lambda: "", None, password, api_name=False)
    add.click(add_document, [admin, upload, *new_description], [*changed, upload, *new_description],
              api_name=False)
    save.click(describe_document, [admin, chosen, *description], changed, api_name=False)
    remove.click(remove_document, [admin, chosen, confirmed], changed, api_name=False)
    reindex_button.click(reindex, admin, changed, api_name=False)
    chosen.input(described, chosen, description, api_name=False)
    return admin


OUTCOME_LABELS = {"answered": "beantwoord", "partial": "deels", "refused": "niet in de documenten"}
INSIGHTS_NEED_LOGIN = "Log eerst in als beheerder op het tabblad Documenten."
AUDIT_LABELS = {"sign_in": "aangemeld", "upload": "document toegevoegd", "describe": "gegevens gewijzigd",
                "remove": "document verwijderd", "reindex": "opnieuw geïndexeerd"}
AUDIT_SHOWN = 200
NO_GAPS = "Er zijn in deze periode geen vragen geweigerd of deels beantwoord."


def insights_tab(pipeline: Pipeline, records: Records, admin: gr.State, tab: gr.Tab) -> None:
    """The Inzichten tab (an admin, signed in or logged in on the Documenten tab): what is asked
    and answered over the last INSIGHT_DAYS, the thumbs, the slowest answers, the documents cited
    and never cited, the audit trail, and, on request, the gaps: the refused and partial questions
    grouped by topic, to download as CSV or Markdown. Each plot's numbers are also in a table."""
    import pandas as pd

    def shown(admin: str):
        if not admin:
            return as_text(INSIGHTS_NEED_LOGIN), gr.update(visible=False), *[gr.update()] * 8
        found = summary(records, [d.name for d in pipeline.documents.descriptions()])
        shares = ", ".join(f"{OUTCOME_LABELS[o]} {found.shares[o]:.0%}" for o in OUTCOMES)
        overview = (f"**{found.total} vragen** in de laatste {INSIGHT_DAYS} dagen: {shares}. "
                    f"Duim omhoog {found.thumbs['up']}, duim omlaag {found.thumbs['down']}.")
        days = [[day, *counts] for day, *counts in found.per_day]
        plotted = pd.DataFrame([{"dag": day, "uitkomst": OUTCOME_LABELS[o], "vragen": count}
                                for day, *counts in found.per_day for o, count in zip(OUTCOMES, counts, strict=True)],
                               columns=["dag", "uitkomst", "vragen"])
        never = ", ".join(found.never_cited) or "geen: elk document is geciteerd"
        highest = max((sum(counts) for _, *counts in found.per_day), default=1)
        return (overview, gr.update(visible=True), gr.BarPlot(value=plotted, y_lim=[0, highest]), days,
                [[w, *c] for w, *c in found.per_week],
                [[q, round(ms), when] for q, ms, when in found.slowest], [list(row) for row in found.cited],
                [list(row) for row in found.passages], as_text(f"Nooit geciteerd: {never}"),
                [[f"{event['at']:%Y-%m-%d %H:%M}", event["subject"], AUDIT_LABELS[event["action"]], event["target"]]
                 for event in reversed(records.audit()[-AUDIT_SHOWN:])])

    def grouped(admin: str):
        if not admin:
            return as_text(INSIGHTS_NEED_LOGIN), gr.update(), gr.update(), "", ""
        found = gaps(records, lambda texts: embed_queries(pipeline.store.embeddings, texts))
        if not found:
            return as_text(NO_GAPS), None, [], "", ""
        bars = pd.DataFrame([{"onderwerp": gap.name, "vragen": gap.count} for gap in found[:GAPS_PLOTTED]])
        rows = [[gap.name, gap.count, " | ".join(gap.examples)] for gap in found]
        return ("", gr.BarPlot(value=bars, y_lim=[0, found[0].count]), rows, gaps_csv(found),
                gaps_markdown(found))

    def evaluation_report(admin: str, path: str | None) -> str:
        """An evaluation report (`python -m assistant eval`) shown as the Markdown it is; its plot is
        a file beside it, so the figures are read from its tables."""
        if not admin:
            return as_text(INSIGHTS_NEED_LOGIN)
        if not path:
            return ""
        text = Path(path).read_bytes()[:REPORT_MAX_BYTES].decode("utf-8", errors="replace")
        return "\n".join(line for line in text.splitlines() if not line.startswith("!["))

    overview = gr.Markdown(elem_id="inzichten-overzicht", latex_delimiters=NO_LATEX)
    with gr.Column(visible=False) as figures:
        per_day_plot = gr.BarPlot(x="dag", y="vragen", color="uitkomst", label="Vragen per dag",
                                  elem_id="inzichten-per-dag")
        columns = ["beantwoord", "deels", "niet in de documenten"]
        per_day = gr.Dataframe(headers=["dag", *columns], interactive=False, label="Vragen per dag (tabel)")
        per_week = gr.Dataframe(headers=["week", *columns], interactive=False, label="Vragen per week")
        slowest = gr.Dataframe(headers=["vraag", "ms", "wanneer (UTC)"], interactive=False,
                               label="De traagste antwoorden")
        cited = gr.Dataframe(headers=["document", "antwoorden die het citeren"], interactive=False,
                             label="Meest geciteerde documenten")
        passages = gr.Dataframe(headers=["passage (document > hoofdstuk)", "antwoorden die haar citeren"],
                                interactive=False, label="Meest geciteerde passages", elem_id="inzichten-passages")
        never_cited = gr.Markdown(elem_id="inzichten-nooit", latex_delimiters=NO_LATEX)
        gr.Markdown("### Wat de documenten niet beantwoorden\nDe geweigerde en deels beantwoorde vragen, "
                    "gegroepeerd naar onderwerp (het grootste onderwerp eerst).")
        group = gr.Button("Groepeer de onbeantwoorde vragen", elem_id="inzichten-groepeer")
        gaps_status = gr.Markdown(elem_id="inzichten-hiaten-status", latex_delimiters=NO_LATEX)
        gaps_plot = gr.BarPlot(x="onderwerp", y="vragen", label="Onbeantwoorde vragen per onderwerp",
                               elem_id="inzichten-hiaten-grafiek")
        gaps_table = gr.Dataframe(headers=["onderwerp", "vragen", "voorbeelden"], interactive=False,
                                  label="Onbeantwoorde vragen per onderwerp (tabel)", elem_id="inzichten-hiaten")
        with gr.Row():
            csv_button = gr.Button("Download als CSV", size="sm", elem_id="inzichten-csv")
            markdown_button = gr.Button("Download als Markdown", size="sm", elem_id="inzichten-markdown")
        gaps_csv_text = gr.Textbox(visible="hidden", label="Hiaten als CSV", elem_id="hiaten-csv")
        gaps_markdown_text = gr.Textbox(visible="hidden", label="Hiaten als Markdown", elem_id="hiaten-markdown")
        gr.Markdown("### Een evaluatie bekijken\nMaak met `python -m assistant eval VRAGEN.jsonl` een rapport van uw "
                    "eigen vragen en open hier het bestand `report.md`.")
        report_file = gr.File(label="Evaluatierapport (report.md)", file_types=[".md"], type="filepath",
                              elem_id="inzichten-rapport-bestand")
        report = gr.Markdown(elem_id="inzichten-rapport", latex_delimiters=NO_LATEX)
        audit = gr.Dataframe(headers=["wanneer (UTC)", "wie (account-id)", "wat", "document"], interactive=False,
                             label=f"Beheerlog: aanmeldingen en wijzigingen (de laatste {AUDIT_SHOWN})",
                             elem_id="inzichten-beheerlog")

    tab.select(shown, admin, [overview, figures, per_day_plot, per_day, per_week, slowest, cited, passages,
                              never_cited, audit], api_name=False)
    group.click(grouped, admin, [gaps_status, gaps_plot, gaps_table, gaps_csv_text, gaps_markdown_text],
                api_name=False)
    report_file.upload(evaluation_report, [admin, report_file], report, api_name=False)
    for button, text, name in ((csv_button, gaps_csv_text, "hiaten.csv"),
                               (markdown_button, gaps_markdown_text, "hiaten.md")):
        button.click(None, text, gaps_status, api_name=False,
                     js=DOWNLOAD_JS % {"none": js_text(NOTHING_GROUPED), "file": js_text(name),
                                       "done": js_text(f"{name} is gedownload.")})


def description_fields(form: str) -> list[gr.Textbox]:
    """The manifest entry's fields, in MANIFEST_FIELDS order."""
    labels = {"title": "Titel", "organisation": "Organisatie", "kind": "Soort (bijv. propositie, webpagina)",
              "date": "Datum", "citation_author": "Auteur in de bronvermelding (leeg: de organisatie)",
              "audience": "Wie mag het lezen: openbaar, of groepen met komma's ertussen (leeg: openbaar)"}
    return [gr.Textbox(label=labels[key], elem_id=f"beheer-{form}-{key}") for key in MANIFEST_FIELDS]


# Gradio reads these from the environment behind the project's back (GRADIO_ALLOWED_PATHS=/ would
# serve /etc/passwd); the page sets what it needs itself, so every other GRADIO_ variable is dropped.
GRADIO_VARIABLES_KEPT = frozenset({"GRADIO_ANALYTICS_ENABLED", "GRADIO_TEMP_DIR"})
UPLOAD_MAX = "1mb"  # without the Documenten tab the page takes no files; the upload route stays bounded


def without_gradio_variables() -> list[str]:
    dropped = sorted(name for name in os.environ if name.startswith("GRADIO_") and name not in GRADIO_VARIABLES_KEPT)
    for name in dropped:
        del os.environ[name]
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    return dropped


def build_app(pipeline: Pipeline) -> FastAPI:
    """The JSON API under /api/v1, the OpenAI-compatible chat endpoint under /v1, the MCP server at
    /mcp and the page at /, on one port, with the exposure pinned down: one set of logins, no
    files served, no monitoring, uploads bounded, failed logins throttled, beyond loopback only the
    allowed Host names, and the browser security headers on every response."""
    settings = pipeline.settings
    throttle = LoginThrottle()
    provider = IdentityProvider(settings) if settings.oidc_configured else None
    access = Access(settings.ui_logins, settings.api_token_list, throttle, settings.login_group_map,
                    frozenset(user for user, _ in settings.admin_logins), provider)
    records = Records(database_url(settings.database_url, settings.data_dir), settings.feedback_retention_days,
                      pipeline.answerer.privacy, settings.keep_exchanges)
    records.import_feedback_file(settings.feedback_file)
    app = build_api(pipeline, access, records)
    if provider:  # before the page is mounted at /: these routes come first
        add_sign_in(app, settings, provider, on_sign_in=lambda reader: records.add_audit(reader.subject, "sign_in"))
    app.mount(CHAT_PREFIX, build_chat_app(pipeline, access, records))
    mcp = build_mcp(pipeline, records)
    app.router.routes.append(http_route(mcp, access, LOOPBACK_HOSTS + settings.allowed_host_list))
    serving = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(served: FastAPI):
        async with serving(served), mcp.session_manager.run():
            yield

    app.router.lifespan_context = lifespan
    app.add_middleware(ThrottledLoginForm, throttle=throttle)
    # the page takes files only in the Documenten tab; without it, Gradio's upload route stays small
    uploads = f"{settings.document_max_mb}mb" if settings.admin_logins or settings.oidc_admins else UPLOAD_MAX
    if settings.beyond_loopback:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_host_list)
    if provider:
        app.add_middleware(SignInFirst)
        app.add_middleware(SessionMiddleware, secret_key=session_secret(settings), session_cookie=SESSION_COOKIE,
                           max_age=SESSION_HOURS * 3600, same_site="lax", https_only=settings.tls_terminated)
    app.add_middleware(SecurityHeaders, https=settings.tls_terminated)  # outermost: every response
    return gr.mount_gradio_app(
        app, build_page(pipeline, records, throttle), path="/", server_name=settings.ui_host,
        server_port=settings.ui_port, footer_links=[], auth=None if provider else settings.ui_logins or None,
        auth_dependency=signed_in_subject if provider else None, auth_message=LOGIN_MESSAGE, show_error=False,
        allowed_paths=[], blocked_paths=[str(PROJECT_ROOT)], max_file_size=uploads, enable_monitoring=False,
        mcp_server=False, ssr_mode=False, pwa=False, css=CSS, js=PAGE_JS, head=PAGE_HEAD)


def signed_in_subject(request) -> str | None:
    """Gradio's auth_dependency with sign-in: the signed-in user's subject id, None for nobody."""
    reader = session_reader(request.scope.get("session") or {})
    return reader.subject if reader else None


def session_secret(settings: Settings) -> str:
    """SESSION_SECRET; without it a secret of this process (sign-ins then end at a restart, and
    replicas behind one address need the same secret)."""
    if not settings.session_secret:
        log.warning("SESSION_SECRET is not set: sign-ins last until this process stops")
    return settings.session_secret or secrets.token_urlsafe(32)


def page_reader(request: gr.Request | None, settings: Settings) -> Reader:
    """Who uses the page: signed in with the identity provider, logged in with UI_AUTH, or nobody
    in particular (then only the openbaar documents)."""
    if request is None:
        return Reader()
    if settings.oidc_configured:
        starlette = getattr(request, "request", None)
        return session_reader(starlette.scope.get("session") or {} if starlette is not None else {}) or Reader()
    user = request.username
    if not user:
        return Reader()
    return Reader(user, settings.login_group_map.get(user, frozenset()),
                  admin=user in {name for name, _ in settings.admin_logins})


class ThrottledLoginForm:
    """The page's own login form (Gradio's POST /login) under the same throttle as the API. Pure
    ASGI: every other request passes without a wrapper of its own."""

    def __init__(self, app, throttle: LoginThrottle):
        self.app = app
        self.throttle = throttle

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"].rstrip("/") != "/login":
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "?"
        refusal = self.throttle.refusal(client)
        if refusal:
            message, headers = refusal
            await JSONResponse({"error": message}, status_code=429, headers=headers)(scope, receive, send)
            return

        async def watched(message):
            if message["type"] == "http.response.start" and message["status"] >= 400:
                self.throttle.failed(client)
            await send(message)

        await self.app(scope, receive, watched)


def main() -> None:
    setup_logging()
    dropped = without_gradio_variables()
    settings = checked_settings()
    if dropped:
        log.warning("Ignored Gradio settings from the environment (the page sets its own): %s", ", ".join(dropped))
    try:
        pipeline = load_pipeline(settings, build_if_needed=True, progress=True)
    except (IndexBusy, StoreUnavailable) as reason:
        raise SystemExit(f"Cannot start the page: {reason}") from None
    pipeline.warm_up()
    pipeline.watch()  # a finished index build is served without a restart
    log.info("The page and the API (/api/v1) listen on http://%s:%d", settings.ui_host, settings.ui_port)
    uvicorn.run(build_app(pipeline), host=settings.ui_host, port=settings.ui_port, log_level="warning",
                proxy_headers=False, server_header=False, timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS)


if __name__ == "__main__":
    main()
