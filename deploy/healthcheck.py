"""Health check of the web container (docker-compose.yml): ``GET /healthz`` as the proxy sends it.

Production settings answer a request for an unknown host with 400 (``ALLOWED_HOSTS``) and a
plain-HTTP one with a redirect to HTTPS (``SECURE_SSL_REDIRECT``). So the probe asks for the
first allowed host and says, as the TLS proxy in front of gunicorn does, that the client came
over HTTPS (``X-Forwarded-Proto``, trusted because ``DJANGO_BEHIND_TLS_PROXY`` is on). Nothing in
the settings is relaxed for it. Exit status 0 only for 200 (database, broker and worker all up);
a redirect is reported, never followed.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping

URL = "http://127.0.0.1:8000/healthz?format=json"


def probe_headers(environ: Mapping[str, str]) -> dict[str, str]:
    """The headers the TLS proxy would send for a request to an allowed host."""
    hosts = [h.strip() for h in environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h.strip()]
    # ".example.org" allows the domain and its subdomains; "*" allows anything.
    host = next((h.lstrip(".") for h in hosts if h != "*"), "localhost")
    return {"Host": host, "X-Forwarded-Proto": "https"}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def status(url: str = URL, environ: Mapping[str, str] = os.environ) -> int:
    """The HTTP status of ``/healthz`` (0 when nothing answers)."""
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, headers=probe_headers(environ))  # noqa: S310 (fixed http URL)
    try:
        with opener.open(request, timeout=8) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0


def main() -> int:
    code = status()
    print(f"/healthz: HTTP {code or 'no answer'}")  # noqa: T201 (docker inspect shows it)
    return 0 if code == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
