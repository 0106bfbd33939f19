import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sipflows import selectors
from tests.pages import by_id, parse_page, text_of

pytestmark = pytest.mark.django_db


def search_page(client, query, **headers):
    response = client.get("/search/", {"q": query}, **headers)
    assert response.status_code == 200
    return parse_page(response.content)


def results(page):
    """{flow title: [(link, marked words, text)]} as the results list shows them."""
    shown = {}
    for section in by_id(page, "search-results").iter("section"):
        items = []
        for item in section.iter("li"):
            link = item.find("a").get("href")
            marks = [text_of(m) for m in item.iter("mark")]
            items.append((link, marks, text_of(item)))
        shown[text_of(section.find("h2"))] = items
    return shown


def test_a_word_of_a_message_finds_the_step_with_the_match_marked(client, library):
    found = results(search_page(client, "early-only"))
    pickup = found["Call Pickup"]
    assert ("/flows/call-pickup/F7/", ["early-only"]) in [
        (link, marks) for link, marks, _ in pickup
    ]


def test_results_are_grouped_by_flow_in_library_order(client, library):
    page = search_page(client, "Refer-Sub")
    sections = list(by_id(page, "search-results").iter("section"))
    slugs = [section.find("h2/a").get("href") for section in sections]
    assert len(slugs) >= 2
    assert slugs == sorted(slugs)
    assert all(section.findall(".//li") for section in sections)


def test_a_tag_value_finds_every_flow_using_it(client, library):
    carrying = {
        f.title["en"] for f in library if any("3145678" in s.message for s in f.steps.all())
    }
    found = results(search_page(client, "3145678"))
    assert len(carrying) >= 2
    assert carrying <= set(found)


def test_several_words_must_all_be_in_what_a_step_or_note_says(library):
    found = selectors.library_search(query="Replaces early-only")
    said: dict[str, str] = {}
    for flow in found:
        for hit in flow.hits:
            said[hit.text.url] = said.get(hit.text.url, "") + hit.text.text.casefold()
    assert "/flows/call-pickup/F7/" in said
    assert all("replaces" in text and "early-only" in text for text in said.values())


def test_an_english_word_finds_english_annotations_and_notes(client, library):
    found = results(search_page(client, "Bill"))
    texts = [text for _, _, text in found["Call Pickup"]]
    assert any("explanation" in text for text in texts)
    assert any("note" in text for text in texts)


def test_chinese_finds_chinese_annotations(client, library):
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    found = results(search_page(client, "早期对话"))
    pickup = found["呼叫代答"]
    assert any(marks == ["早期对话"] for _, marks, _ in pickup)


def test_where_both_languages_match_the_readers_is_shown(client, library):
    found = results(search_page(client, "early-only"))
    park = found["Call Park"]
    assert [link for link, _, _ in park].count("/flows/call-park/F10/") == 1


def test_nothing_found_says_so(client, library):
    page = search_page(client, "no-such-thing-anywhere")
    assert "Nothing in the library matches" in text_of(by_id(page, "search-results"))


def test_an_empty_query_shows_only_the_form(client, library):
    page = search_page(client, "  ")
    assert text_of(by_id(page, "search-results")) == ""


def test_every_page_has_the_search_box(client, library):
    for path in ("/", "/notes/", "/flows/call-pickup/F7/", "/sip/"):
        page = parse_page(client.get(path).content)
        form = page.find(".//header/form[@role='search']")
        assert form.get("action") == "/search/"
        assert form.find(".//input[@name='q']") is not None


def test_an_htmx_search_gets_only_the_results(client, library):
    response = client.get("/search/", {"q": "early-only"}, HTTP_HX_REQUEST="true")
    page = parse_page(response.content)
    assert page.find(".//header") is None
    assert by_id(page, "search-results") is not None


def test_a_query_in_the_results_page_is_escaped(client, library):
    query = "<script>alert(1)</script>"
    page = search_page(client, query)
    assert all(script.get("src") for script in page.iter("script"))
    assert page.find(".//main//input[@name='q']").get("value") == query


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's full-text search runs only there"
)
def test_on_postgresql_the_full_text_search_finds_the_steps(library):
    with CaptureQueriesContext(connection) as queries:
        found = selectors.library_search(query="early-only Replaces")
    assert any("to_tsvector" in q["sql"] for q in queries.captured_queries)
    links = {hit.text.url for flow in found for hit in flow.hits}
    assert "/flows/call-pickup/F7/" in links


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's full-text search runs only there"
)
def test_on_postgresql_chinese_is_matched_as_substrings(library):
    with CaptureQueriesContext(connection) as queries:
        found = selectors.library_search(query="早期对话", language="zh")
    assert not any("to_tsvector" in q["sql"] for q in queries.captured_queries)
    assert any(hit.text.language == "zh" for flow in found for hit in flow.hits)
