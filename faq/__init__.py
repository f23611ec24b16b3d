"""FAQ engine: knowledge base, Vietnamese normalizer and matcher (pure Python)."""

from faq.grouping import group_similar
from faq.kb import check_knowledge_base, default_data_dir, load_knowledge_base
from faq.kb_model import FaqEntry, KnowledgeBase, KnowledgeBaseError, Topic
from faq.matcher import Matcher, MatchResult, Suggestion
from faq.normalize import normalize, strip_diacritics

__all__ = [
    "FaqEntry",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "MatchResult",
    "Matcher",
    "Suggestion",
    "Topic",
    "check_knowledge_base",
    "default_data_dir",
    "group_similar",
    "load_knowledge_base",
    "normalize",
    "strip_diacritics",
]
