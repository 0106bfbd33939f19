import html
import re

import pytest

from sipflows.sip.highlight import (
    MAX_HIGHLIGHTED_BODY,
    focus_lines,
    highlight_css,
    highlight_message,
)
from sipflows.sip.lexers import SipLexer
from sipflows.sip.reference import is_explained, reference_url, text_tokens, tip_id
from tests.pages import parse_page, text_of
from tests.sip.test_message import INVITE, RINGING, request
from tests.sip.test_reference import LIBRARY


def emphasised(markup: str) -> list[str]:
    """The plain text of every line wrapped in <span class="hll">."""
    lines = re.findall(r'<span class="hll">(.*?)\n</span>', markup)
    return [html.unescape(re.sub(r"<[^>]+>", "", line)) for line in lines]


def test_html_is_wrapped_and_highlighted():
    markup = highlight_message(RINGING)
    assert markup.startswith('<div class="sipmsg"><pre>')
    assert '<span class="kc">SIP/2.0</span>' in markup
    assert '<span class="na">CSeq</span>' in markup
    assert 'class="hll"' not in markup


def test_text_survives_and_crlf_becomes_lf():
    text = html.unescape(re.sub(r"<[^>]+>", "", highlight_message(INVITE)))
    assert text == INVITE.replace("\r\n", "\n") + "\n"  # the last "\n" follows </div>


def test_focus_on_a_header_covers_its_continuation_lines():
    assert emphasised(highlight_message(INVITE, ["Replaces"])) == [
        "Replaces: 12345600@atlanta.example.com",
        " ;from-tag=23431;to-tag=1234567",
    ]


def test_focus_accepts_compact_forms_and_any_case():
    lines = ["Via: SIP/2.0/TLS server.example.com:5061", " ;branch=z9hG4bK74rf"]
    assert emphasised(highlight_message(INVITE, ["v"])) == lines
    assert emphasised(highlight_message(INVITE, [" VIA "])) == lines
    compact = INVITE.replace("Via:", "v:")
    assert emphasised(highlight_message(compact, ["Via"]))[0].startswith("v: SIP/2.0/TLS")


def test_focus_on_sdp_prefixes():
    assert emphasised(highlight_message(INVITE, ["a=sendonly", "m=audio"])) == [
        "m=audio 49170 RTP/AVP 0",
        "a=sendonly",
    ]
    assert emphasised(highlight_message(INVITE, ["c="])) == ["c=IN IP4 server.example.com"]


def test_focus_on_several_headers_and_unknown_names():
    markup = highlight_message(INVITE, ["CSeq", "Call-ID", "Nothing-Like-It", "", "a=inactive"])
    assert emphasised(markup) == ["Call-ID: a5-75-34-12-76@server.example.com", "CSeq: 1 INVITE"]


def test_focus_line_numbers_count_leading_blank_lines():
    assert focus_lines("\n\n" + RINGING, ["CSeq"]) == [8]
    assert emphasised(highlight_message("\n\n" + RINGING, ["CSeq"])) == ["CSeq: 1 INVITE"]


@pytest.mark.parametrize(
    "text",
    [
        RINGING.replace("Ringing", "<script>alert('x')</script>"),
        RINGING + "<script>alert(1)</script>",
        'SIP/2.0 200 OK\nTo: "<script>" <sip:a&b>\n\n',
        "<script>alert(1)</script>",
    ],
)
def test_everything_is_escaped(text):
    markup = highlight_message(text, ["To"])
    assert "<script" not in markup
    assert "&lt;script" in markup


def test_css_is_scoped_and_styles_the_emphasis():
    css = highlight_css()
    assert ".sipmsg .hll { background-color" in css
    assert ".sipmsg .na " in css
    assert all(rule.startswith(".sipmsg") for rule in css.splitlines())


def test_odd_input_does_not_break_highlighting():
    for text in ("", "\x00\ufeff\r", "junk\r\r\n", "SIP/2.0 200 OK\n\n" + "x" * 100_000):
        assert highlight_message(text, ["Via", "a=sendonly"]).startswith('<div class="sipmsg">')


# --- token links ------------------------------------------------------------------------------


def token_links(markup: str) -> list[tuple[str, str, str]]:
    """(href, aria-describedby, text) of every token link in the highlighted message."""
    page = parse_page(markup)
    return [(a.get("href"), a.get("aria-describedby"), text_of(a)) for a in page.iter("a")]


def test_every_explained_token_of_the_library_is_a_link_to_its_page():
    for document in LIBRARY:
        for step in document["steps"]:
            text = step.get("message")
            if not text:
                continue
            wanted = {
                (reference_url(u.kind, u.name), tip_id(u))
                for u in text_tokens(text)
                if is_explained(u)
            }
            linked = {(href, tip) for href, tip, _ in token_links(highlight_message(text))}
            assert linked == wanted, (document["slug"], step["label"])


def test_header_parameter_and_sdp_tokens_are_links():
    links = token_links(highlight_message(INVITE))
    assert ("/sip/header/Via/", "tip-header-Via", "Via") in links
    assert ("/sip/param/branch/", "tip-param-branch", "branch") in links
    assert ("/sip/sdp/a=sendonly/", "tip-sdp-a_3dsendonly", "sendonly") in links
    assert ("/sip/method/INVITE/", "tip-method-INVITE", "INVITE") in links


def test_a_parameter_with_meanings_per_header_points_at_the_right_one():
    tips = {
        tip for href, tip, _ in token_links(highlight_message(RINGING)) if href == "/sip/param/tag/"
    }
    assert tips == {"tip-param-tag-From", "tip-param-tag-To"}


def test_uri_parameters_and_embedded_headers_are_links():
    message = (
        "REFER sips:bob@biloxi.example.com SIP/2.0\r\n"
        "Refer-To: <sips:a8342043f@atlanta.example.com;gr?Replaces=1%40a%3Bto-tag%3D7"
        "&Require=replaces>\r\n\r\n"
    )
    links = {(href, text) for href, _, text in token_links(highlight_message(message))}
    assert {("/sip/param/gr/", "gr"), ("/sip/header/Replaces/", "Replaces")} <= links
    assert ("/sip/header/Require/", "Require") in links
    assert not any(text.startswith("to-tag") for _, text in links)  # escaped, part of a value


def test_a_token_the_reference_does_not_know_is_plain_text():
    markup = highlight_message("OPTIONS sip:a@b SIP/2.0\r\nX-Unheard-Of: 1\r\n\r\n")
    assert "X-Unheard-Of" in text_of(parse_page(markup))
    assert [text for _, _, text in token_links(markup)] == ["OPTIONS"]


def test_a_body_that_is_not_sip_or_sdp_has_no_token_links():
    message = (
        "MESSAGE sip:a@b SIP/2.0\r\nContent-Type: text/html\r\n\r\n"
        '<A HREF="sips:x@y;gr?Replaces=1">Via</A>\r\n'
    )
    names = [text for _, _, text in token_links(highlight_message(message))]
    assert names == ["MESSAGE", "Content-Type", "text/html"]


def test_digest_parameters_are_links_and_their_values_are_not():
    message = (
        "SIP/2.0 407 Proxy Authentication Required\r\n"
        'Proxy-Authenticate: Digest realm="example.com", stale=FALSE\r\n\r\n'
    )
    links = token_links(highlight_message(message))
    assert [text for _, _, text in links] == ["407", "Proxy-Authenticate", "realm", "stale"]


def body_markup(markup: str) -> str:
    """The highlighted body: what follows the empty line ending the headers."""
    return markup.split("\n\n", 1)[1]


def xml_request(body: str) -> str:
    return request("Content-Type: application/pidf+xml\r\n", body, "PUBLISH")


def test_bodies_up_to_the_limit_are_coloured():
    body = "<presence>" + "x" * (MAX_HIGHLIGHTED_BODY - 30) + "</presence>\r\n"
    assert '<span class="nt">' in body_markup(highlight_message(xml_request(body)))


def test_larger_bodies_are_shown_plainly_and_whole():
    body = "<!--" * (MAX_HIGHLIGHTED_BODY // 4 + 1) + "\r\n"
    markup = highlight_message(xml_request(body), ["Content-Type"])
    assert "<span" not in body_markup(markup).removesuffix("</span></pre></div>\n")
    assert body.replace("\r\n", "\n") in html.unescape(re.sub(r"<[^>]+>", "", markup))
    assert emphasised(markup) == ["Content-Type: application/pidf+xml"]


def test_a_message_is_highlighted_once_for_every_view(monkeypatch):
    lexed = []
    original = SipLexer.get_tokens_unprocessed
    monkeypatch.setattr(
        SipLexer,
        "get_tokens_unprocessed",
        lambda self, text: lexed.append(text) or original(self, text),
    )
    message = RINGING.replace("Ringing", "Ringing once")
    first = highlight_message(message, ["CSeq"])
    assert highlight_message(message, ["CSeq"]) == first
    assert len(lexed) == 1
    highlight_message(message, ["To"])
    highlight_message(message.replace("once", "twice"), ["CSeq"])
    assert len(lexed) == 3
