"""The product: every feature, in order, and the texts the core is given.

Adding a feature is one line here (intents are tried in this order, so put specific
phrases before general ones) and its own package; see README "Adding a feature".
"""

from __future__ import annotations

from bot.features import Feature, Product
from handlers import dashboard, faq, menu, mydata, reminders, signup, volunteers
from handlers.texts import CORE_TEXTS

FEATURES: tuple[Feature, ...] = (
    menu.feature,
    faq.feature,
    mydata.feature,
    signup.feature,
    reminders.feature,
    volunteers.feature,
    dashboard.feature,
)

PRODUCT = Product(features=FEATURES, texts=CORE_TEXTS)
