"""Hypothesis strategies for hostile input: SIP messages, markup bodies, RFC text, documents.

Text is built from fragments that matter to each module (start lines, header names, the
characters that open and close things) mixed with arbitrary characters, so that generated
input reaches past the first line of every parser. The suite runs few examples of each
(tests/sip/test_properties.py); bench/fuzz.py runs many.
"""

import copy

import yaml
from hypothesis import strategies as st

from tests.samples import SAMPLE_FLOW

SIP_FRAGMENTS = [
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n",
    "SIP/2.0 200 OK\r\n",
    "SIP/2.0 ",
    "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\n",
    "v: SIP/2.0/TLS b;received=192.0.2.1\r\n",
    "To: Bob <sip:bob@b>;tag=1\r\n",
    'From: "A\\"l" <sips:a@a>;tag=2\r\n',
    "CSeq: 1 INVITE\r\n",
    "Content-Length: 12\r\n",
    "Content-Type: application/sdp\r\n",
    "Content-Type: message/sipfrag\r\n",
    "Content-Type: application/dialog-info+xml\r\n",
    "Content-Type: text/html\r\n",
    "Replaces: 1@a;from-tag=1;to-tag=2\r\n",
    " ;folded=1\r\n",
    "\r\n",
    "\n",
    "\r",
    "v=0\r\n",
    "o=a 1 2 IN IP4 192.0.2.1\r\n",
    "m=audio 49170 RTP/AVP 0\r\n",
    "a=sendonly\r\n",
    "<dialog-info version='1'>",
    "</dialog-info>",
    "<!--",
    "-->",
    "<![CDATA[",
    "<?xml",
    "<script>",
    "&amp;",
    "/*",
    "*/",
    "<",
    ">",
    '"',
    ";",
    ",",
    "=",
    ":",
    "\\",
    "\x00",
    "\ufeff",
    "\u2028",
]

RFC_FRAGMENTS = [
    "2.1.  Basic Call\n",
    "3.16.  Call Pickup\n",
    "   Alice           Proxy           Bob\n",
    "     |               |               |\n",
    "     |   INVITE F1   |               |\n",
    "     |-------------->|               |\n",
    "     |<--------------|               |\n",
    "     |<=====RTP=====>|               |\n",
    "     |  (hold)       |               |\n",
    "   Message Details\n",
    "   F1 INVITE Alice -> Proxy\n",
    "   F2 200 OK Proxy -> Alice\n",
    "   INVITE sip:bob@example.com SIP/2.0\n",
    "   Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\n",
    "   Content-Length: 0\n",
    "   /* a comment */\n",
    "Doe                 Informational                 [Page 7]\n",
    "RFC 9999            Sample Call Flows             May 2024\n",
    "\n",
    "   ",
    "|",
    "-",
    ">",
    "<",
    "F",
]


def _text_from(fragments: list[str], max_size: int) -> st.SearchStrategy[str]:
    piece = st.sampled_from(fragments) | st.text(max_size=4)
    return st.lists(piece, max_size=max_size).map("".join)


def sip_texts(max_size: int = 40) -> st.SearchStrategy[str]:
    return _text_from(SIP_FRAGMENTS, max_size)


def rfc_texts(max_size: int = 60) -> st.SearchStrategy[str]:
    # Form feeds are left to the reader's own tests: a page break is its own subject there.
    fragments = [f for f in RFC_FRAGMENTS if "\f" not in f]
    piece = st.sampled_from(fragments) | st.text(
        alphabet=st.characters(blacklist_characters="\f"), max_size=4
    )
    return st.lists(piece, max_size=max_size).map("".join)


def focus_lists() -> st.SearchStrategy[list[str]]:
    names = st.sampled_from(["Via", "v", "To", "CSeq", "a=sendonly", "m=", "c=", "", " "])
    return st.lists(names | st.text(max_size=6), max_size=4)


# Anything YAML or JSON could give: scalars of every type, lists and mappings, some keys
# not text at all.
_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**30, max_value=10**60)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["F1", "F2", "alice", "bob", "message", "media", "event", "discussion"])
)
_keys = st.text(max_size=8) | st.integers() | st.sampled_from(["en", "zh", "label", "kind"])
values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=12,
)


def _paths(value, prefix=()):
    """Every place in a document that a spoiler may replace or delete."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


_SAMPLE = yaml.safe_load(SAMPLE_FLOW)
_SAMPLE_PATHS = [path for path in _paths(_SAMPLE) if path]


@st.composite
def spoiled_documents(draw) -> object:
    """The sample document with a few of its values replaced, removed or added to."""
    document = copy.deepcopy(_SAMPLE)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(_SAMPLE_PATHS))
        parent = document
        try:
            for step in path[:-1]:
                parent = parent[step]
            how = draw(st.sampled_from(["replace", "delete", "add"]))
            if how == "delete":
                del parent[path[-1]]
            elif how == "add" and isinstance(parent, dict):
                parent[draw(_keys)] = draw(values)
            else:
                parent[path[-1]] = draw(values)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier spoiling removed this place
    return document
