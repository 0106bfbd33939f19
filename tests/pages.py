"""HTML pages as element trees, for tests that look at what a page holds, not at its text."""

import xml.etree.ElementTree as ET
from html.parser import HTMLParser

VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.builder = ET.TreeBuilder()
        self.builder.start("document", {})
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.builder.start(tag, {k: v or "" for k, v in attrs})
        if tag in VOID:
            self.builder.end(tag)
        else:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.builder.start(tag, {k: v or "" for k, v in attrs})
        self.builder.end(tag)

    def handle_endtag(self, tag):
        if tag in self.open:  # close whatever was left open inside it, as browsers do
            while self.open:
                name = self.open.pop()
                self.builder.end(name)
                if name == tag:
                    break

    def handle_data(self, data):
        self.builder.data(data)


def parse_page(markup: bytes | str) -> ET.Element:
    """The page as an ElementTree element; find things with .find/.findall and XPath."""
    parser = _TreeBuilder()
    parser.feed(markup.decode() if isinstance(markup, bytes) else markup)
    parser.close()
    while parser.open:
        parser.builder.end(parser.open.pop())
    parser.builder.end("document")
    return parser.builder.close()


def text_of(element: ET.Element) -> str:
    """The text a reader sees in the element, whitespace collapsed."""
    return " ".join("".join(element.itertext()).split())


def by_id(page: ET.Element, element_id: str) -> ET.Element | None:
    return page.find(f".//*[@id='{element_id}']")
