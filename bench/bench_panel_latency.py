"""Keystroke to match panel shown, in a browser (issue 8, item 7: p95 <= 300 ms at 1M persons).

Headless Chromium (Debian's ``/usr/bin/chromium``, driven by Playwright) opens the intake page
of a server running in this process on the ``people`` data set, signed in as the bench call
taker. For each of ``--repeat`` people on record it types the given name, waits for that
search to settle, then types the family name at 60 ms a key (faster than the panel's delay, so
one search follows the last key) and measures, in the page, from the last key down to the frame
after htmx has swapped the victim's panel in: the delay (``hx-trigger="input delay:..."``), the
request, the server, the swap and the paint.

Skipped, with a note, when Chromium, Playwright or the built front end is missing. The server is
``wsgiref`` (one thread, as one call taker at a time) with static files served by Django's
handler; the searches write their audit rows, as the real page does.
"""

from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from bench.harness import Context, Row, Timing

CHROMIUM = Path("/usr/bin/chromium")
FRONTEND = Path(__file__).resolve().parents[1] / "var" / "frontend"
USERNAME = "bench.panel.calltaker"
TYPE_DELAY_MS = 60

_WATCH = """() => {
  window.__lastKey = 0; window.__shown = 0;
  document.addEventListener('keydown', () => { window.__lastKey = performance.now() }, true);
  document.body.addEventListener('htmx:afterSettle', (e) => {
    if (e.target && e.target.id === 'matches-victim') {
      requestAnimationFrame(() => { window.__shown = performance.now() });
    }
  });
}"""


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's name)
        pass


def _user() -> Any:
    from dapolice.accounts.choices import Role
    from dapolice.accounts.models import User
    from dapolice.accounts.services import system_user, user_create

    user = User.objects.filter(username=USERNAME).first()
    if user is None:
        user = user_create(
            actor=system_user(),
            username=USERNAME,
            password=None,
            roles=[Role.CALL_TAKER],
            first_name="Bench",
            last_name="Panel",
        )
    return user


def _server() -> tuple[WSGIServer, str]:
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.wsgi import get_wsgi_application

    server = make_server(
        "127.0.0.1", 0, StaticFilesHandler(get_wsgi_application()), handler_class=_QuietHandler
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def _names(size: int, n: int, seed: int) -> list[tuple[str, str]]:
    from incidents.models import Person

    rng = random.Random(seed)
    top = Person.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ids = rng.sample(range(1, top + 1), min(top, n * 3))
    people = Person.objects.filter(pk__in=ids).exclude(family_name="").exclude(given_name="")
    return [(p.given_name, p.family_name) for p in people[:n]]


def measure(ctx: Context, size: int) -> Timing | None:
    from django.conf import settings
    from django.test import Client
    from playwright.sync_api import sync_playwright

    names = _names(size, ctx.repeat, ctx.seed)
    client = Client()
    client.force_login(_user())
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    server, base = _server()
    samples: list[float] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
            )
            context = browser.new_context()
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}]
            )
            page = context.new_page()
            page.goto(f"{base}/incidents/new/")
            page.evaluate(_WATCH)
            given = page.locator("#id_victim-given_name")
            family = page.locator("#id_victim-family_name")
            for warm_up, (given_name, family_name) in [
                (True, names[0]),
                *[(False, x) for x in names],
            ]:
                family.fill("")
                given.fill("")
                given.type(given_name, delay=TYPE_DELAY_MS)
                page.wait_for_timeout(600)  # the given name's own search settles
                page.evaluate("() => { window.__shown = 0 }")
                family.type(family_name, delay=TYPE_DELAY_MS)
                page.wait_for_function("() => window.__shown > window.__lastKey", timeout=15_000)
                took = page.evaluate("() => window.__shown - window.__lastKey")
                if not warm_up:
                    samples.append(float(took))
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return Timing(samples) if samples else None


def run(ctx: Context) -> list[Row]:
    try:
        import playwright  # noqa: F401
    except ImportError:
        ctx.note("panel latency: Playwright is not installed (pip install -e '.[dev]')")
        return []
    if not CHROMIUM.exists() or not (FRONTEND / "app.css").exists():
        ctx.note("panel latency: needs /usr/bin/chromium and the built front end (make frontend)")
        return []
    rows: list[Row] = []
    for size in ctx.sizes:
        ctx.dataset("people", size)
        timing = measure(ctx, size)
        if timing is None:
            ctx.note(f"panel latency: no people to type at {size:,}")
            continue
        rows.append(
            Row.timed(
                "keystroke -> match panel shown (Chromium, victim family name)",
                timing,
                size=size,
                unit="persons",
            )
        )
    return rows
