"""Headers of the chat page: who may frame it (the embed script) and what it may load."""

from __future__ import annotations

from collections.abc import Iterable


def page_headers(embed_origins: Iterable[str]) -> dict[str, str]:
    """Security headers for `/`: only this server and the configured portals may frame it."""
    ancestors = " ".join(["'self'", *embed_origins])
    policy = "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {ancestors}",
        ]
    )
    headers = {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }
    if ancestors == "'self'":
        # For browsers without CSP level 2; it cannot list other origins, so only then.
        headers["X-Frame-Options"] = "SAMEORIGIN"
    return headers
