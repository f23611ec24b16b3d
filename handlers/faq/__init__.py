"""Questions answered from the knowledge base: the feature as the registry sees it.

The knowledge itself (YAML, normalizer, matcher) is the top-level `faq` package; this
feature answers with it (replies.py) and gives organizers `ask` and `faq ...` (cli.py).
"""

from __future__ import annotations

from bot.features import Feature, Job
from bot.routing import Router
from handlers import texts as common
from handlers.faq import cli, tally
from handlers.faq.replies import answer_question, faq_button, topics_button


def register(router: Router) -> None:
    router.payload("faq", faq_button)
    router.payload("topics", topics_button)
    router.command("chude", common.PAYLOAD_TOPICS, "Xem câu hỏi theo chủ đề")
    router.fallback(answer_question)


feature = Feature(
    name="faq",
    register=register,
    cli=(cli.register,),
    jobs=(Job("question-counts", tally.WRITE_EVERY_SECONDS, tally.write, every_worker=True),),
    on_stop=tally.write,
)
