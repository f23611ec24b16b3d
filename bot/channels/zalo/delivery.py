"""Direct replies on Zalo: one attempt raising DeliveryError, retried while retrying helps.

The clients raise the engine's categories (oa_api.error_for, bot_api.error_for), so the
policy is the same on both surfaces: wait out a rate limit, back off after timeouts and
5xx, stop at once for anything a retry cannot change.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.channels.base import (
    DeliveryError,
    RecipientUnreachable,
    RetryAfter,
    RetryPolicy,
    TemporaryFailure,
)

logger = logging.getLogger(__name__)

Attempt = Callable[[], Awaitable[object]]
OnUnreachable = Callable[[], Awaitable[None]]


async def send_patiently(
    attempt: Attempt, policy: RetryPolicy, where: str, on_unreachable: OnUnreachable
) -> bool:
    """Run `attempt` until it succeeds or retrying cannot help; False (logged) if not sent."""
    for number in range(1, policy.attempts + 1):
        try:
            await attempt()
            return True
        except RetryAfter as error:
            if error.seconds > policy.max_retry_after:
                logger.warning("%s: told to wait %.0fs; not waiting inline", where, error.seconds)
                break
            await asyncio.sleep(error.seconds)
        except TemporaryFailure as error:
            logger.warning("%s: attempt %d failed: %s", where, number, error)
            if number < policy.attempts:
                await asyncio.sleep(policy.backoff_seconds * 2 ** (number - 1))
        except RecipientUnreachable:
            logger.info("%s: recipient unreachable", where)
            await on_unreachable()
            return False
        except DeliveryError as error:  # outside the window, quota, refused: final
            logger.warning("%s: not sent: %s", where, error)
            return False
    logger.error("%s: GAVE UP sending a reply after %d attempts", where, policy.attempts)
    return False
