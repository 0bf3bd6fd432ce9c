"""The chat page: Dutch questions in, cited answers and their sources out (Gradio 6).

    python ui.py        (what `make run` starts; builds the index first when it is missing)

Only presentation lives here: every answer comes from `assistant.pipeline`. Everything a user
typed is shown as text, never as markup: it is escaped before it reaches the chat, and the
chat's own HTML sanitising stays on behind that.
"""

from __future__ import annotations

import html
import logging
import os
import re
import sys

import gradio as gr
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.middleware.trustedhost import TrustedHostMiddleware

from assistant.api import build_api
from assistant.citations import QuoteFinder, QuoteMatch
from assistant.config import PROJECT_ROOT, Settings, SettingsError
from assistant.feedback import FeedbackLog
from assistant.login_throttle import LoginThrottle
from assistant.logs import setup_logging
from assistant.pipeline import Pipeline, load_pipeline
from assistant.prompts import (
    ANSWER_LABELS,
    GLOSSARY_HEADING,
    MODE_LABELS,
    SOMETHING_WENT_WRONG,
    STORE_UNAVAILABLE,
    TRACE_STEPS,
    TRACE_TITLE,
    personal_data_notice,
)
from assistant.question import BadQuestion, check_question
from assistant.session import Session
from assistant.store import IndexBusy, StoreUnavailable
from assistant.types import Answer, NumberedPassage

log = logging.getLogger("assistant.ui")

TITLE = "Vraag het de documenten: De waarde van het sociaal domein"
INTRO = ("Stel een vraag in gewone taal over de propositie *De waarde van het sociaal domein* "
         "(VNG, Divosa en de gemeentelijke netwerken) en de pagina's eromheen. "
         "Elk antwoord noemt zijn bronnen; klap een bron open voor de passage en een citaat om te kopiëren.")
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
# Accessibility (WCAG 2.1 AA): contrast of at least 4.5:1 for the primary buttons, highlights and
# citation blocks, and a focus ring that is always visible.
CSS = """
pre code { white-space: pre-wrap !important; word-break: break-word; }
button.primary { background: #1d4ed8 !important; color: #ffffff !important; border-color: #1d4ed8 !important; }
button.primary:hover { background: #1e3a8a !important; }
mark { background: #fde68a !important; color: #111827 !important; }
pre, pre code, pre code span { color: #111827 !important; background: #f3f4f6 !important; }
:focus-visible { outline: 3px solid #1d4ed8 !important; outline-offset: 2px; }
.thought-group > .title button { pointer-events: none; }
"""
# The page is Dutch (WCAG 3.1.1), and each collapsible source in the chat is one control: its
# title row (role=button, Enter or a click opens it) says whether it is open; the arrow button
# inside it is decoration (Gradio nests a second, unnamed button there: WCAG 4.1.2).
PAGE_JS = """
() => {
  document.documentElement.lang = 'nl';
  const mend = () => {
    document.querySelectorAll('.thought-group > .title[role="button"]').forEach(title => {
      title.setAttribute('aria-expanded', title.classList.contains('expanded') ? 'true' : 'false');
      title.querySelectorAll('button:not([disabled])').forEach(inner => {
        inner.disabled = true;  // not focusable: the title row is the one control (clicks pass through, CSS)
        inner.setAttribute('aria-hidden', 'true');
      });
    });
  };
  new MutationObserver(mend).observe(document.body, {subtree: true, childList: true, attributes: true,
                                                     attributeFilter: ['class']});
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


def trace_message(answer: Answer) -> dict:
    """The answer's trace, collapsed under it: each stage with what it found and how long it took."""
    lines = []
    for step in answer.trace:
        fields = "; ".join(f"{name}: {trace_value(value)}" for name, value in step.fields.items())
        lines.append(f"- **{as_text(TRACE_STEPS.get(step.step, step.step))}** ({step.ms:.0f} ms): {as_text(fields)}")
    return {"role": "assistant", "content": "\n".join(lines), "metadata": {"title": TRACE_TITLE, "status": "done"}}


def answer_messages(answer: Answer, tell_personal_data: bool = False) -> list[dict]:
    """The answer (with, for a resident, its hard words explained and the referral line), then
    one collapsible source per numbered passage it cites, then its trace."""
    lines = [as_text(line) for line in answer.text.splitlines()]
    if answer.glossary:
        lines += ["", f"**{as_text(GLOSSARY_HEADING)}**", ""]
        lines += [f"- **{as_text(e.term)}**: {as_text(e.explanation)}" for e in answer.glossary]
    if answer.referral:
        lines += ["", as_text(answer.referral)]
    body = "\n".join(lines) + f"\n\n*{ANSWER_LABELS[answer.mode]}*"
    if answer.notice:
        body = f"*{as_text(answer.notice)}*\n\n{body}"
    if tell_personal_data:
        body = f"*{as_text(personal_data_notice(answer.personal_data))}*\n\n{body}"
    messages = [{"role": "assistant", "content": body}]
    if answer.found:
        messages += [source_message(passage) for passage in answer.cited_passages]
    return messages + ([trace_message(answer)] if answer.trace else [])


def source_message(passage: NumberedPassage) -> dict:
    chunk = passage.chunk
    also = passage.passage.sources[1:]
    content = highlighted(chunk.text, passage.highlights)
    if also:
        content += "\n\n" + as_text("Ook in: " + ", ".join(also))
    content += "\n\nCiteer als:\n" + citation_block(passage.reference)
    title = as_text(f"[{passage.number}] {chunk.title} — {chunk.section_path or chunk.title}")
    return {"role": "assistant", "content": content, "metadata": {"title": title, "status": "done"}}


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


def build_page(pipeline: Pipeline) -> gr.Blocks:
    settings = pipeline.settings
    feedback = FeedbackLog(settings.feedback_file, settings.feedback_retention_days, pipeline.answerer.privacy)
    feedback.prune()

    def respond(question: str, explain: bool, chat: list[dict], conversation: Session):
        try:
            question = check_question(question, settings.max_question_chars)
        except BadQuestion as hint:
            yield chat, conversation, gr.update(), str(hint)
            return
        # shown as it is answered: with personal data left out (the answer path does the same)
        asked = {"role": "user", "content": as_text(pipeline.answerer.privacy.redact(question).text)}
        yield chat + [asked, {"role": "assistant", "content": SEARCHING}], conversation, "", ""
        try:
            for update in pipeline.answerer.stream(question, conversation.turns, explain):
                if update.answer is None:  # only sentences that passed the check are in update.text
                    shown = as_text(update.text) if update.text else SEARCHING
                    yield chat + [asked, {"role": "assistant", "content": shown}], conversation, "", ""
            answer = update.answer
        except Exception as error:
            yield chat, conversation, question, failure_message(error, "Answering")
            return
        messages = answer_messages(answer, conversation.personal_data_notice_due(answer))
        conversation.add(answer, len(messages))
        yield chat + [asked] + messages, conversation, "", ""

    def start_over():
        return [], Session(), "", ""

    def record_feedback(conversation: Session, like: gr.LikeData):
        record = conversation.feedback(like.index, like.liked)
        if record is None:
            return ""
        feedback.append(record)
        return FEEDBACK_THANKS

    def look_up(phrase: str):
        try:
            phrase = check_question(phrase, settings.max_question_chars)
        except BadQuestion as hint:
            return as_text(str(hint))
        try:
            # looked up in the documents served now (pipeline.refresh may have switched them)
            return lookup_markdown(phrase, QuoteFinder(pipeline.retriever, pipeline.documents).find(phrase))
        except Exception as error:
            return as_text(failure_message(error, "Citation lookup"))

    with gr.Blocks(title=TITLE, analytics_enabled=False) as page:
        gr.Markdown(f"# {TITLE}\n{INTRO}")
        gr.Markdown(f"**Modus:** {MODE_LABELS[pipeline.mode]}", elem_id="mode")
        with gr.Tab("Vragen", id="vragen"):
            conversation = gr.State(Session())
            chat = gr.Chatbot(label="Gesprek", height=560, elem_id="gesprek", layout="panel",
                              sanitize_html=True, render_markdown=True, latex_delimiters=NO_LATEX, buttons=["copy"],
                              feedback_options=("Like", "Dislike"),
                              placeholder="Uw vragen en de antwoorden met bronnen verschijnen hier.")
            with gr.Row():
                question = gr.Textbox(show_label=False, scale=8, lines=1, max_lines=6, elem_id="vraag",
                                      placeholder="Stel uw vraag in gewone taal, bijvoorbeeld over jeugdhulp…")
                ask = gr.Button("Vraag", variant="primary", scale=1, elem_id="vraag-knop")
            explain = gr.Checkbox(label="Leg uit voor een inwoner (eenvoudige taal, met bronnen)",
                                  value=False, elem_id="uitleg-inwoner")
            notice = gr.Markdown(elem_id="melding", latex_delimiters=NO_LATEX)
            with gr.Row():
                gr.Examples(EXAMPLES, inputs=question, label="Voorbeeldvragen")
                clear = gr.Button("Nieuw gesprek", size="sm", scale=0)
        with gr.Tab("Citaat zoeken", id="citaat"):
            gr.Markdown("Typ een zin of zinsdeel dat u zich half herinnert; u krijgt de passage waar het "
                        "staat, de beste eerst, met een citaat om te kopiëren.")
            with gr.Row():
                phrase = gr.Textbox(show_label=False, scale=8, elem_id="citaat-zin",
                                    placeholder="Bijvoorbeeld: pleisters plakken op losse problemen")
                find = gr.Button("Zoek citaat", variant="primary", scale=1, elem_id="citaat-knop")
            gr.Examples(LOOKUP_EXAMPLES, inputs=phrase, label="Voorbeelden")
            found = gr.Markdown(elem_id="citaat-resultaat", latex_delimiters=NO_LATEX)

        outputs = [chat, conversation, question, notice]
        question.submit(respond, [question, explain, chat, conversation], outputs, api_name=False,
                        show_progress="minimal")
        # the one named endpoint: what benchmarks/load.py drives with gradio_client
        ask.click(respond, [question, explain, chat, conversation], outputs, api_name="vraag",
                  show_progress="minimal")
        clear.click(start_over, None, outputs, api_name=False)
        chat.like(record_feedback, [conversation], notice, api_name=False)
        for trigger in (phrase.submit, find.click):
            trigger(look_up, phrase, found, api_name=False)
    page.queue(default_concurrency_limit=settings.ui_concurrency, max_size=200)
    return page


# Gradio reads these from the environment behind the project's back (GRADIO_ALLOWED_PATHS=/ would
# serve /etc/passwd); the page sets what it needs itself, so every other GRADIO_ variable is dropped.
GRADIO_VARIABLES_KEPT = frozenset({"GRADIO_ANALYTICS_ENABLED", "GRADIO_TEMP_DIR"})
UPLOAD_MAX = "1mb"  # the page takes no files; Gradio's upload route stays bounded all the same


def without_gradio_variables() -> list[str]:
    dropped = sorted(name for name in os.environ if name.startswith("GRADIO_") and name not in GRADIO_VARIABLES_KEPT)
    for name in dropped:
        del os.environ[name]
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    return dropped


def build_app(pipeline: Pipeline) -> FastAPI:
    """The JSON API under /api/v1 and the page at /, on one port, with the exposure pinned down:
    no files served, no monitoring, uploads bounded, failed logins throttled, and beyond
    loopback only the allowed Host names."""
    settings = pipeline.settings
    throttle = LoginThrottle()
    app = build_api(pipeline, throttle)
    guard_login_form(app, throttle)
    if settings.beyond_loopback:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_host_list)
    return gr.mount_gradio_app(
        app, build_page(pipeline), path="/", server_name=settings.ui_host, server_port=settings.ui_port,
        footer_links=[], auth=settings.ui_logins or None, auth_message=LOGIN_MESSAGE, show_error=False,
        allowed_paths=[], blocked_paths=[str(PROJECT_ROOT)], max_file_size=UPLOAD_MAX, enable_monitoring=False,
        mcp_server=False, ssr_mode=False, pwa=False, css=CSS, js=PAGE_JS)


def guard_login_form(app: FastAPI, throttle: LoginThrottle) -> None:
    """The page's own login form (Gradio's POST /login) under the same throttle as the API."""

    @app.middleware("http")
    async def throttled_login(request: Request, call_next):
        if request.method != "POST" or request.url.path.rstrip("/") != "/login":
            return await call_next(request)
        client = request.client.host if request.client else "?"
        refusal = throttle.refusal(client)
        if refusal:
            message, headers = refusal
            return JSONResponse({"error": message}, status_code=429, headers=headers)
        response = await call_next(request)
        if response.status_code >= 400:
            throttle.failed(client)
        return response


def main() -> None:
    setup_logging()
    dropped = without_gradio_variables()
    try:
        settings = Settings.from_env()
        settings.check_exposure()
    except SettingsError as bad:
        print(f"Cannot start the page: {bad}", file=sys.stderr)
        raise SystemExit(2) from None
    if dropped:
        log.warning("Ignored Gradio settings from the environment (the page sets its own): %s", ", ".join(dropped))
    try:
        pipeline = load_pipeline(settings, build_if_needed=True, progress=True)
    except (IndexBusy, StoreUnavailable) as reason:
        raise SystemExit(f"Cannot start the page: {reason}") from None
    pipeline.watch()  # a finished index build is served without a restart
    log.info("The page and the API (/api/v1) listen on http://%s:%d", settings.ui_host, settings.ui_port)
    uvicorn.run(build_app(pipeline), host=settings.ui_host, port=settings.ui_port, log_level="warning",
                proxy_headers=False, server_header=False)


if __name__ == "__main__":
    main()
