"""The per-user search rate limit, which must never depend on Redis (issue 13, item 1).

DRF's ``ScopedRateThrottle`` keeps its history in the default cache (Redis in production). When
that cache is not answering, a search must still be answered: the limit fails open to a counter in
this process's memory (a per-process limit, so at most one limit per web worker) and says so in
the log. After a failure the cache is left alone for ``FALLBACK_SECONDS``, so a dead or frozen
Redis costs one short socket timeout per process and window, not one per search.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.throttling import ScopedRateThrottle

logger = logging.getLogger(__name__)

#: How long a process keeps counting in its own memory after the shared cache failed.
FALLBACK_SECONDS = 30.0

#: This process's own counter, used while the shared cache is unavailable.
fallback_cache = LocMemCache("dapolice-throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": 10_000}})

_state = {"cache_down_until": 0.0}

#: What a cache that is not answering raises (redis-py on Redis; OSError on the filesystem cache).
CACHE_ERRORS: tuple[type[BaseException], ...] = (redis.RedisError, OSError)


def fallback_reset() -> None:
    """Forget a past failure and the per-process counts (tests)."""
    _state["cache_down_until"] = 0.0
    fallback_cache.clear()


def using_fallback() -> bool:
    return _state["cache_down_until"] > time.monotonic()


def cache_failed(what: str, exc: BaseException) -> None:
    """Leave the shared cache alone for ``FALLBACK_SECONDS`` (the session store uses it too)."""
    _state["cache_down_until"] = time.monotonic() + FALLBACK_SECONDS
    logger.warning(
        "%s without the cache for %ds: cache unavailable (%s)",
        what,
        FALLBACK_SECONDS,
        type(exc).__name__,
    )


class ResilientScopedRateThrottle(ScopedRateThrottle):
    """``ScopedRateThrottle`` that counts in process memory while the shared cache is down."""

    def allow_request(self, request: Any, view: Any) -> bool:
        if using_fallback():
            self.cache = fallback_cache
            return super().allow_request(request, view)
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as exc:
            _state["cache_down_until"] = time.monotonic() + FALLBACK_SECONDS
            logger.warning(
                "search rate limit counted per process for %ds: cache unavailable (%s)",
                FALLBACK_SECONDS,
                type(exc).__name__,
            )
            self.cache = fallback_cache
            return super().allow_request(request, view)
