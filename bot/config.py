"""Settings read once from the environment and an optional .env file."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/bot.db"


class Settings(BaseSettings):
    """Every setting of the bot; `.env.example` documents each one."""

    # Empty values (as in a copied .env.example) mean "use the default".
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    database_url: str = DEFAULT_DATABASE_URL
    # PostgreSQL only: keep the tables in this schema (it must exist).
    database_schema: str | None = None
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    log_level: str = "INFO"

    # Web chat limits: request body size and a per-session message rate.
    web_max_body_bytes: int = 16_384
    web_rate_per_minute: int = 30
    web_rate_burst: int = 20

    # A half-filled form older than this is reset the next time the person writes.
    form_timeout_hours: int = 24

    # Outbox sender: how often it looks for due messages.
    outbox_poll_seconds: float = 1.0

    faq_data_dir: Path | None = None

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    # Sending limits (https://core.telegram.org/bots/faq): messages per second overall and
    # per chat; 0 turns a limit off (a self-hosted Bot API server, benchmarks).
    telegram_rate_per_second: float = 30.0
    telegram_chat_rate_per_second: float = 1.0

    # Comma-separated Telegram user ids with organizer powers.
    admin_ids: str = Field(default="")

    campaign_year: int | None = None

    def admin_id_set(self) -> frozenset[str]:
        """Configured organizer ids as strings."""
        return frozenset(part.strip() for part in self.admin_ids.split(",") if part.strip())
