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
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle

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


#: DRF's sliding window (``SimpleRateThrottle.allow_request``) in one round trip: the history
#: (newest first) as a Redis list; entries as old as the window dropped from its end; refused at
#: ``limit`` entries (nothing written); else this request's time pushed and the list kept for
#: the window. Returns {allowed, entries, the oldest entry}: what DRF's ``wait`` reads.
_WINDOW_LUA = """
local key = KEYS[1]
local now, duration, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
while true do
    local oldest = redis.call('LINDEX', key, -1)
    if not oldest or tonumber(oldest) > now - duration then break end
    redis.call('RPOP', key)
end
local n = redis.call('LLEN', key)
if n >= limit then
    return {0, n, redis.call('LINDEX', key, -1)}
end
redis.call('LPUSH', key, ARGV[1])
redis.call('EXPIRE', key, math.ceil(duration))
return {1, n + 1, redis.call('LINDEX', key, -1)}
"""


class _OneRoundTripRateThrottle(SimpleRateThrottle):
    """DRF's ``SimpleRateThrottle`` with its history read and written back in one Redis script
    (:data:`_WINDOW_LUA`: the same window, limit and ``wait``) when the cache is Redis: DRF
    reads the history and sets it again, two round trips per search (and two searches at once
    could both count as one). Any other cache (the per-process fallback, SQLite's ``make run``)
    keeps DRF's own code. The list lives beside DRF's key (``<key>:window``), never in it."""

    num_requests: int  # set from the rate (``ScopedRateThrottle.allow_request``)
    duration: int

    def allow_request(self, request: Any, view: Any) -> bool:
        backend = caches[DEFAULT_CACHE_ALIAS] if self.cache is default_cache else None
        if not isinstance(backend, RedisCache):
            return bool(super().allow_request(request, view))
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        client = backend._cache.get_client(write=True)  # type: ignore[attr-defined]
        script = getattr(client, "_dapolice_window_script", None)
        if script is None:
            script = client._dapolice_window_script = client.register_script(_WINDOW_LUA)
        self.now = self.timer()
        allowed, entries, oldest = script(
            keys=[backend.make_and_validate_key(f"{self.key}:window")],
            args=[repr(self.now), self.duration, self.num_requests],
        )
        # What DRF's ``wait`` reads of the history: its length and its oldest entry.
        self.history = [float(oldest)] * int(entries) if entries else []
        return bool(allowed)


class ResilientScopedRateThrottle(ScopedRateThrottle, _OneRoundTripRateThrottle):
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
