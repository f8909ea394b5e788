"""Shared by the browser tests (not a test module): a page visit in headless Chromium with every request that
would leave loopback blocked and recorded."""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


class Besoeg(NamedTuple):
    outside: list[str]  # requests the page tried beyond loopback (blocked)
    inside: list[str]  # requests served on loopback
    ok: bool  # the page itself answered 2xx


def besoeg_uden_net(browser, url: str, ready: str | None = None, settle_ms: int = 2000) -> Besoeg:
    """Open ``url`` in a fresh context with outside requests blocked; wait for ``ready`` (a selector) if given and
    ``settle_ms`` more for late requests (fonts, lazy images and chunks)."""
    outside, inside = [], []

    def route(r):
        u = urlsplit(r.request.url)
        if u.scheme in ("http", "https") and u.hostname not in LOOPBACK:
            outside.append(r.request.url)
            r.abort()
        else:
            inside.append(r.request.url)
            r.continue_()

    context = browser.new_context()
    try:
        context.route("**/*", route)
        page = context.new_page()
        response = page.goto(url, wait_until="load", timeout=120_000)
        ok = response is not None and response.ok
        if ready:
            page.wait_for_selector(ready, timeout=120_000)
        page.wait_for_timeout(settle_ms)
    finally:
        context.close()
    return Besoeg(outside, inside, ok)
