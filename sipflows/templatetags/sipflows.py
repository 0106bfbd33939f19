from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from ..sip.reference import RFC_REFERENCE, rfc_url

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


@register.filter(needs_autoescape=True)
def rfc_links(text: str, autoescape: bool = True) -> str:
    """Text with each "RFC 3261 §17.1.3" (or "RFC 3261, section 17.1.3") made a link to the
    RFC Editor's page at that section. The text is escaped; only the links are ours."""
    escape = conditional_escape if autoescape else str
    text = str(text)
    parts, start = [], 0
    for match in RFC_REFERENCE.finditer(text):
        parts.append(escape(text[start : match.start()]))
        parts.append(format_html('<a class="rfc" href="{}">{}</a>', rfc_url(match[0]), match[0]))
        start = match.end()
    parts.append(escape(text[start:]))
    return mark_safe("".join(parts))
