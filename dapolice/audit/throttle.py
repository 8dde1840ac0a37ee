"""The per-user read rate: how many *different* records one person may be shown in a window.

Counted where the read audit rows are written (``services._write``), so every selector, page and
API endpoint that shows records is covered without remembering to. The count is of distinct
records (a Redis set per user and window), so the control-room board refreshing the same 200
incidents every 30 seconds costs nothing, while paging through every victim on file does.

Over the limit the read is refused (``ReadRateExceeded``: a 429, nothing shown) and, once per
window, ``read_rate_exceeded`` is sent; ``dapolice.accounts`` turns it into a security alert to
the system administrators and the control-room supervisors and an audit row.

Redis is the only store. When it is not configured or not answering, the limit is not applied
and a warning is logged: a Redis outage must never stop police work (fail open). After a
failure Redis is left alone for ``_BACKOFF_SECONDS`` so a dead server costs nothing per request.
"""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING

import redis
from django.conf import settings
from django.dispatch import Signal
from redis.commands.core import Script

if TYPE_CHECKING:
    from dapolice.accounts.models import User

logger = logging.getLogger(__name__)

#: Sent once per user and window when the limit is first exceeded, with ``actor`` (the user),
#: ``records`` (distinct records counted so far, including the refused ones) and ``window_minutes``.
read_rate_exceeded = Signal()

_BACKOFF_SECONDS = 30.0
_SOCKET_TIMEOUT_SECONDS = 0.25
_scripts: dict[str, Script] = {}
_down_until: dict[str, float] = {}

# Adds the records not yet counted unless that would pass the limit. Returns
# {allowed (1/0), distinct records counted with this read, 1 if this is the window's first refusal}.
_LUA = """
local key, flag = KEYS[1], KEYS[2]
local limit, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
local new = {}
for i = 3, #ARGV do
  if redis.call('SISMEMBER', key, ARGV[i]) == 0 then new[#new + 1] = ARGV[i] end
end
local count = redis.call('SCARD', key)
if #new == 0 then return {1, count, 0} end
if count + #new > limit then
  local first = redis.call('SET', flag, '1', 'NX', 'EX', ttl)
  return {0, count + #new, first and 1 or 0}
end
redis.call('SADD', key, unpack(new))
redis.call('EXPIRE', key, ttl)
return {1, count + #new, 0}
"""


class ReadRateExceeded(Exception):
    """Refused: the user has been shown more distinct records than the window allows."""

    def __init__(self, retry_after: int):
        super().__init__("read rate exceeded")
        self.retry_after = retry_after


def _script(url: str) -> Script | None:
    """The counting script on the Redis at ``url`` (EVALSHA; loaded on first use), or None
    while that Redis is being left alone after a failure."""
    if _down_until.get(url, 0.0) > time.monotonic():
        return None
    script = _scripts.get(url)
    if script is None:
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=_SOCKET_TIMEOUT_SECONDS,
            socket_timeout=_SOCKET_TIMEOUT_SECONDS,
        )
        script = _scripts[url] = client.register_script(_LUA)
    return script


def _prefix() -> str:
    return str(settings.CACHES["default"].get("KEY_PREFIX") or "dapolice")


def reads_allow(*, actor: User, records: list[str]) -> None:
    """Count ``records`` (``"app.model:pk"``) as shown to ``actor``; raise
    :class:`ReadRateExceeded` if that passes ``DAPOLICE_READ_RATE_LIMIT`` distinct records in
    the current window of ``DAPOLICE_READ_RATE_WINDOW_MINUTES``."""
    limit = settings.DAPOLICE_READ_RATE_LIMIT
    url = settings.REDIS_URL
    if not limit or not records or not url or getattr(actor, "is_system", False):
        return
    script = _script(url)
    if script is None:
        return
    window = settings.DAPOLICE_READ_RATE_WINDOW_MINUTES * 60
    now = time.time()
    start = int(now // window) * window
    key = f"{_prefix()}:readrate:{actor.pk}:{start}"
    try:
        allowed, count, first = script(
            keys=[key, f"{key}:alerted"], args=[limit, window, *sorted(set(records))]
        )
    except redis.RedisError as exc:
        _down_until[url] = time.monotonic() + _BACKOFF_SECONDS
        logger.warning(
            "read-rate limit not applied for %ds: Redis unavailable (%s)",
            _BACKOFF_SECONDS,
            type(exc).__name__,
        )
        return
    if allowed:
        return
    if first:
        read_rate_exceeded.send(
            sender=ReadRateExceeded,
            actor=actor,
            records=int(count),
            window_minutes=settings.DAPOLICE_READ_RATE_WINDOW_MINUTES,
        )
    raise ReadRateExceeded(retry_after=max(1, math.ceil(start + window - now)))
