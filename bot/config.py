"""Settings read once from the environment and an optional .env file."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.clock import DailyWindow

# Next to the project, not the current folder: an organizer command run from elsewhere must
# find the same database (and the same .env) as the bot.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'data' / 'bot.db'}"
_ORIGIN = re.compile(r"^https?://(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$")


class Settings(BaseSettings):
    """Every setting of the bot; `.env.example` documents each one."""

    # Empty values (as in a copied .env.example) mean "use the default".
    model_config = SettingsConfigDict(
        # The project's .env, then one in the current folder (which wins where both set a value).
        env_file=(PROJECT_ROOT / ".env", ".env"),
        env_file_encoding="utf-8",
        extra="ignore",
        env_ignore_empty=True,
    )

    database_url: str = DEFAULT_DATABASE_URL
    # PostgreSQL only: keep the tables in this schema (it must exist).
    database_schema: str | None = None
    # PostgreSQL only: connections each process keeps, and may open beyond them at peaks.
    # With `run --workers N`, N x (both) must stay under the server's max_connections.
    database_pool_size: int = 5
    database_max_overflow: int = 10
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    log_level: str = "INFO"
    # "text" (one line per record) or "json" (one JSON object per line).
    log_format: str = "text"

    # Web chat limits: request body size and a per-conversation message rate.
    web_max_body_bytes: int = 16_384
    web_rate_per_minute: int = 30
    web_rate_burst: int = 20
    # Per client address (many people may share one, e.g. a cultural house's Wi-Fi).
    web_rate_per_client_per_minute: int = 300
    web_rate_client_burst: int = 100
    # New conversations per client address.
    web_new_chats_per_client_per_hour: int = 120
    web_new_chats_burst: int = 30
    # All web API requests of this process together; 0 turns it off.
    web_rate_global_per_second: float = 500.0
    # Comma-separated addresses/networks of reverse proxies whose X-Forwarded-For is trusted.
    web_trusted_proxies: str = ""
    # Slow clients: time to send a request's headers, and its body; connection cap.
    web_header_timeout_seconds: float = 15.0
    web_body_timeout_seconds: float = 15.0
    web_max_connections: int = 512
    # Push to open pages (Server-Sent Events, /api/events): most streams open at once (keep
    # it well under WEB_MAX_CONNECTIONS), heartbeat, and how often other workers' messages
    # are looked for.
    web_max_event_streams: int = 256
    web_events_heartbeat_seconds: float = 15.0
    web_events_recheck_seconds: float = 2.0
    # Comma-separated origins (https://portal.example.vn) whose pages may embed the chat.
    web_embed_origins: str = ""

    # A half-filled form older than this is reset the next time the person writes.
    form_timeout_hours: int = 24

    # Redis (e.g. redis://127.0.0.1:6379/0): with several workers, the send budgets, the web
    # limits and Telegram's 429 pause are shared there. Empty: each process keeps its own.
    redis_url: str | None = None
    # Start of every Redis key: deployments sharing one Redis must use different prefixes.
    redis_key_prefix: str = "cds"

    # /metrics (Prometheus): scrapes must send "Authorization: Bearer <token>". Empty: only
    # direct connections from this machine are served (never through the reverse proxy).
    metrics_token: SecretStr | None = None

    # Outbox sender: how often it looks for due messages.
    outbox_poll_seconds: float = 1.0
    # How long a sender holds messages it took; after it, a dead sender's messages are
    # taken over by another (PostgreSQL with several workers, or a restart).
    outbox_lease_seconds: float = 30.0

    faq_data_dir: Path | None = None

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    # Sending limits (https://core.telegram.org/bots/faq): messages per second overall and
    # per chat; 0 turns a limit off (a self-hosted Bot API server, benchmarks).
    telegram_rate_per_second: float = 30.0
    telegram_chat_rate_per_second: float = 1.0
    # Messages per minute into one group chat (the volunteer desk); Telegram allows 20.
    telegram_group_rate_per_minute: int = 20

    # Zalo Official Account (OA API v3). It runs when the app id and both secrets are set.
    zalo_oa_app_id: str | None = None
    # The "OA Secret Key" that signs webhook events (X-ZEvent-Signature).
    zalo_oa_secret_key: SecretStr | None = None
    # The app's secret key, sent when refreshing the access token (OAuth v4).
    zalo_oa_app_secret: SecretStr | None = None
    # The OA's own id: also accepted as the first term of a webhook signature [?].
    zalo_oa_id: str | None = None
    zalo_oa_api_base: str = "https://openapi.zalo.me"
    zalo_oauth_base: str = "https://oauth.zaloapp.com"
    zalo_oa_webhook_path: str = "/zalo/oa/webhook"
    # Messages per second this process sends on the OA (0: no pacing).
    zalo_oa_rate_per_second: float = 10.0

    # Zalo Bot (Bot API). Leave the token empty to run without it.
    zalo_bot_token: SecretStr | None = None
    zalo_bot_api_base: str = "https://bot-api.zaloplatforms.com"
    # Public HTTPS address of this server's Zalo Bot webhook; empty means long polling.
    zalo_bot_webhook_url: str | None = None
    zalo_bot_webhook_secret: SecretStr | None = None
    # Messages the bot's plan allows per calendar month, and users (Basic plan: 3,000, 50).
    zalo_bot_monthly_quota: int = 3000
    zalo_bot_max_users: int = 50

    # Organizers (admin powers): comma-separated "channel:user id" pairs; a bare id means
    # Telegram ("123456, zalo_oa:8843..."). Everyone else is a citizen.
    admin_ids: str = Field(default="")

    campaign_year: int | None = None
    # Campaign reminders (Vietnam time): the two slots a subscriber chooses from, and the
    # quiet hours when no message to many people is sent (they wait until the morning).
    reminder_morning_time: str = "07:30"
    reminder_evening_time: str = "19:00"
    quiet_hours: str = "21:00-07:00"
    # The campaign calendar (default: faq/data/campaign_days.yaml).
    campaign_calendar_file: Path | None = None

    # The volunteer desk: a group chat ("channel:id"; a bare id means Telegram), empty = off.
    volunteer_chat_id: str = ""
    # When volunteers are on duty, Vietnam time; a ticket written outside waits for them.
    volunteer_hours: str = "07:30-21:00"
    # Unclaimed for this long: one reminder in the group; for the second figure (counted only
    # within volunteer_hours): the citizen is told nobody is free and offered other help.
    volunteer_reping_minutes: int = 10
    volunteer_give_up_minutes: int = 60
    # A claimed ticket without any message for this long closes itself.
    volunteer_idle_close_hours: int = 24

    # The organizers' dashboard (pages in the browser). It starts only with a secret key:
    # a Fernet key (`python -c "from cryptography.fernet import Fernet;
    # print(Fernet.generate_key().decode())"`) that encrypts and signs its session cookies.
    dashboard_enabled: bool = True
    dashboard_secret_key: SecretStr | None = None
    # Empty: under /dashboard on the web chat's server. Both set: its own address only.
    dashboard_host: str | None = None
    dashboard_port: int | None = None
    # Its address as door volunteers' phones reach it (https://cds.example.vn/dashboard):
    # the QR code in a web-chat booking confirmation then opens that booking's check-in.
    dashboard_public_url: str | None = None
    # Logged out after this long without a request.
    dashboard_idle_minutes: int = 30
    # Failed log-ins allowed per 15 minutes, per account and per client address.
    dashboard_login_failures_per_account: int = 5
    dashboard_login_failures_per_client: int = 20
    # Send the cookie over HTTPS only (turn off only for a dashboard on plain http://localhost).
    dashboard_secure_cookie: bool = True

    # Retention (days), enforced hourly by housekeeping; see README "Privacy".
    retain_outbox_days: int = 30
    retain_mailbox_days: int = 30
    retain_inbox_days: int = 3
    retain_conversations_days: int = 90
    retain_unanswered_days: int = 365
    retain_signups_days_after_session: int = 90
    retain_tickets_days: int = 90
    retain_faq_drafts_days: int = 365
    retain_audit_days: int = 365

    @field_validator("volunteer_hours")
    @classmethod
    def _hours_are_a_window(cls, value: str) -> str:
        window = DailyWindow.parse(value)  # ValueError (a settings error) when malformed
        if window.start == window.end:
            raise ValueError("volunteer_hours is an empty window")
        return value

    @field_validator("web_embed_origins")
    @classmethod
    def _check_origins(cls, value: str) -> str:
        origins = [part.strip().lower().rstrip("/") for part in value.split(",") if part.strip()]
        for origin in origins:
            if not _ORIGIN.match(origin):
                raise ValueError(
                    f"{origin!r} is not an origin like https://portal.example.vn (no path)"
                )
        return ",".join(origins)

    def embed_origin_list(self) -> tuple[str, ...]:
        """Origins allowed to embed the web chat (besides this server itself)."""
        return tuple(part for part in self.web_embed_origins.split(",") if part)

    def secret_values(self) -> list[str]:
        """Every configured secret, so the log formatter can make sure none is printed."""
        values = [
            value.get_secret_value()
            for name, value in self
            if isinstance(value, SecretStr) and value.get_secret_value()
        ]
        return values

    def zalo_oa_configured(self) -> bool:
        """Whether the Zalo OA channel runs; a half-filled set of its settings is an error."""
        values = {
            "ZALO_OA_APP_ID": self.zalo_oa_app_id,
            "ZALO_OA_SECRET_KEY": _secret(self.zalo_oa_secret_key),
            "ZALO_OA_APP_SECRET": _secret(self.zalo_oa_app_secret),
        }
        missing = [name for name, value in values.items() if not value]
        if len(missing) == len(values):
            return False
        if missing:
            raise ValueError(f"Zalo OA settings incomplete: set {', '.join(missing)}")
        return True

    def admins(self) -> frozenset[tuple[str, str]]:
        """Configured organizers as (channel, user id) pairs."""
        pairs = set()
        for part in self.admin_ids.split(","):
            channel, _, user_id = part.strip().rpartition(":")
            if user_id:
                pairs.add((channel.strip() or "telegram", user_id.strip()))
        return frozenset(pairs)

    def volunteer_desk(self) -> tuple[str, str] | None:
        """The volunteer group as (channel, chat id), or None when the desk is off."""
        channel, _, chat_id = self.volunteer_chat_id.strip().rpartition(":")
        if not chat_id.strip():
            return None
        return channel.strip() or "telegram", chat_id.strip()


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""
