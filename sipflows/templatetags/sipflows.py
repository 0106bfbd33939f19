from django import template
from django.utils.translation import get_language

from ..sip.flowdiff import marked_pieces

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


@register.filter
def marked(line: str, marks) -> list[tuple[str, bool]]:
    """A diff line cut into (text, is_changed) pieces; the template escapes each."""
    return marked_pieces(line, marks)


@register.filter
def diff_value(value) -> str:
    """A changed field's value as a reader sees it: bilingual texts as "en / zh", lists
    joined, nothing as an empty mark."""
    if value is None or value == "" or value == {} or value == []:
        return "—"
    if isinstance(value, dict):
        return " / ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
