"""The Zalo OA token pair and the Zalo Bot's monthly send counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import UTCDateTime


class ZaloOaToken(Base):
    """The Zalo OA's access token and its single-use refresh token, one row per app.

    Every process reads the pair from here; a refresh is claimed with a lease written by
    compare-and-swap (storage/zalo.py), so only one process spends the refresh token.
    """

    __tablename__ = "zalo_oa_tokens"

    app_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str] = mapped_column(Text)
    access_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    refresh_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Who is refreshing right now, and until when their claim holds.
    lease_id: Mapped[str | None] = mapped_column(String(32), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ZaloSendCount(Base):
    """Messages a Zalo Bot sent in one calendar month, counted by every worker together."""

    __tablename__ = "zalo_send_counts"

    # Which budget: the bot's id (the token's part before the colon).
    counter: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-10", Vietnam time
    used: Mapped[int] = mapped_column(Integer, default=0)
    # When organizers were warned that most of the month's budget is used (once a month).
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
