"""A step page in the browser: requests, bytes and the time to its largest contentful paint.

    .venv/bin/python bench/browser.py [PATH] [--runs 5]

Loads the library into a throwaway SQLite database (or DATABASE_URL), serves it with one
uvicorn process as `make run` does, and opens PATH in headless Chromium (/usr/bin/chromium,
through Playwright, with the browser tests' flags): first visits (a new browser context each
time, nothing cached) and repeat visits (the same context, opened again). For each it counts
the requests, the bytes transferred, and reads the largest contentful paint (LCP) and
DOMContentLoaded from the browser's own performance timeline. In the same run, bench/bare_app.py
serves the very same responses (every request the page made, as it came over the wire) and the
page is measured the same way. Prints medians.
"""

import argparse
import statistics
import urllib.parse

from common import BROWSER_HEADERS, Server, bare_server, bench_env, fetch, setup_django

LCP = """() => new Promise(resolve => {
    new PerformanceObserver(list => {
        const entries = list.getEntries();
        resolve(entries[entries.length - 1].startTime);
    }).observe({type: "largest-contentful-paint", buffered: true});
})"""
TIMINGS = """() => {
    const navigation = performance.getEntriesByType("navigation")[0];
    const resources = performance.getEntriesByType("resource");
    return {
        bytes: navigation.transferSize + resources.reduce((sum, r) => sum + r.transferSize, 0),
        dcl: navigation.domContentLoadedEventEnd,
    };
}"""


def visit(context, url: str) -> dict:
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)  # the paint after load, if any, has its entry by then
    figures = {"lcp": page.evaluate(LCP), **page.evaluate(TIMINGS), "requests": requests}
    page.close()
    return figures


def measure(browser, url: str, runs: int) -> dict:
    first, repeat = [], []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1366, "height": 850})
        first.append(visit(context, url))
        repeat.append(visit(context, url))
        context.close()
    return {"first": first, "repeat": repeat}


def summary(visits: list[dict]) -> str:
    return (
        f"{len(visits[0]['requests']):>8} {statistics.median(v['bytes'] for v in visits):>9.0f} "
        f"{statistics.median(v['dcl'] for v in visits):>8.0f} "
        f"{statistics.median(v['lcp'] for v in visits):>8.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("path", nargs="?", default="/flows/call-pickup/F7/")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = bench_env()
    setup_django(env)
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_FLAGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        with Server("sipflows.asgi:application", env) as app:
            measured = measure(browser, app.url + args.path, args.runs)
            BROWSER_HEADERS.pop("Cookie", None)
            paths = {urllib.parse.urlsplit(u).path for u in measured["first"][0]["requests"]}
            responses = {path: fetch(app.url + path) for path in paths}
        with bare_server(responses) as bare:
            baseline = measure(browser, bare.url + args.path, args.runs)
        browser.close()
    print(f"{args.path} in headless Chromium, one uvicorn process; medians of {args.runs}; ms")
    print(f"{'':<22} | {'requests':>8} {'bytes':>9} {'DCL':>8} {'LCP':>8}")
    for name, figures in (("sipflows", measured), ("bare", baseline)):
        print(f"{name + ', first visit':<22} | {summary(figures['first'])}")
        print(f"{name + ', repeat visit':<22} | {summary(figures['repeat'])}")


if __name__ == "__main__":
    main()
