from django import template
from django.utils.translation import get_language

register = template.Library()


def content_language() -> str:
    """The flow documents' language for the active UI language: zh for any Chinese, else en."""
    return "zh" if (get_language() or "").startswith("zh") else "en"


@register.filter
def tr(text: dict | None) -> str:
    """Pick the reader's language from a bilingual {en, zh} text, falling back to English."""
    if not text:
        return ""
    return text.get(content_language()) or text.get("en", "")
