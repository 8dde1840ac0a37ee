"""Sessions read from Redis, written through to PostgreSQL (``SESSION_ENGINE``).

Every request reads the session; with Django's database engine that was a query on every
request, the live match panel's keystrokes included (issue 8: the match endpoint's query
budget). Django's ``cached_db`` engine reads the cache first and writes both. This one also:

* fails open like the rest of the cache's callers (issue 13): a Redis that is down or hung
  means the database, never an error page, and after a failure the cache is left alone for
  ``dapolice.common.throttling.FALLBACK_SECONDS`` (one short timeout per process, not one per
  request);
* keeps a cached copy for ``SESSION_CACHE_SECONDS`` only, so a write that could not reach the
  cache during an outage is stale there for minutes at most (the database stays the record);
* always tries to remove a deleted session (signing out) from the cache, outage or not;
* writes a session once at sign-in, not twice (issue 13, sign-in storms): Django's
  ``cycle_key`` inserts the new session at once and the response updates it again; here the
  new key is chosen at once (axes hashes it into its access log) and the row is inserted by the
  response's save. A new key is not first looked up: the insert refuses a key already taken
  (``CreateError``) and another is drawn, as Django's ``create`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.utils.crypto import get_random_string

from dapolice.common import throttling

T = TypeVar("T")


def _cache_call(what: str, call: Callable[[], T], default: T, *, always: bool = False) -> T:
    if throttling.using_fallback() and not always:
        return default
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 (any cache failure: the database answers)
        throttling.cache_failed(what, exc)
        return default


class SessionStore(CachedDBStore):
    # Set by Django's stores; django-stubs does not declare them.
    _cache: Any
    _session: dict[str, Any]
    _get_session_from_db: Callable[[], Any]
    #: Set by ``cycle_key``: the new key's row is inserted by the next save.
    _insert_on_save = False

    def _get_new_session_key(self) -> str:
        # No existence query: the insert (must_create) refuses a taken key with CreateError.
        return get_random_string(32, VALID_KEY_CHARS)

    def cycle_key(self) -> None:
        """A new key for the same data (signing in), written once by the response's save."""
        data = self._session
        old_key = self.session_key
        self._session_key = self._get_new_session_key()
        self._session_cache = data
        self.modified = True
        self._insert_on_save = True
        if old_key:
            self.delete(old_key)

    def _ttl(self, age: int) -> int:
        return max(1, min(age, settings.SESSION_CACHE_SECONDS))

    def load(self) -> dict[str, Any]:
        data = _cache_call("sessions read", lambda: self._cache.get(self.cache_key), None)
        if data is not None:
            return data
        stored = self._get_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        ttl = self._ttl(self.get_expiry_age(expiry=stored.expire_date))
        _cache_call("sessions read", lambda: self._cache.set(self.cache_key, data, ttl), None)
        return data

    def exists(self, session_key: str | None) -> bool:
        if not session_key:
            return False
        key = self.cache_key_prefix + session_key
        if _cache_call("sessions read", lambda: key in self._cache, False):
            return True
        return DBStore.exists(self, session_key)

    def save(self, must_create: bool = False) -> None:
        if self._insert_on_save:
            self._insert_on_save = False
            try:
                DBStore.save(self, must_create=True)
            except CreateError:  # the drawn key was taken meanwhile: another one
                self._session_key = None
                DBStore.save(self, must_create=False)  # no key: create() draws until free
        else:
            DBStore.save(self, must_create)
        ttl = self._ttl(self.get_expiry_age())
        _cache_call(
            "sessions written", lambda: self._cache.set(self.cache_key, self._session, ttl), None
        )

    def delete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        # One DELETE (Django's store reads the row first).
        self.model.objects.filter(session_key=session_key).delete()
        key = self.cache_key_prefix + session_key
        _cache_call("sessions deleted", lambda: self._cache.delete(key), None, always=True)
