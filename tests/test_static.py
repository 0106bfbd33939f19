from pathlib import Path

from sipflows.sip.highlight import highlight_css

STATIC = Path(__file__).resolve().parent.parent / "static" / "sipflows"


def test_message_stylesheet_matches_the_highlighter():
    """Regenerate static/sipflows/css/highlight.css from highlight_css() when the style changes."""
    served = (STATIC / "css" / "highlight.css").read_text(encoding="utf-8")
    assert served.split("\n", 1)[1] == highlight_css() + "\n"
