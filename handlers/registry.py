"""Wires every feature module into one Router."""

from __future__ import annotations

from bot.routing import Router
from handlers import coming_soon, faq, menu, mydata, signup


def build_router() -> Router:
    """The router with all features registered; the order of intents matters."""
    router = Router()
    menu.register(router)
    faq.register(router)
    mydata.register(router, sources=(signup.PERSONAL_DATA,))
    signup.register(router)
    coming_soon.register(router, ("reminders", "volunteer"))
    return router
