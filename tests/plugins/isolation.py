"""Each test process gets its own cache and scratch directory (pytest-xdist and the demo).

Without this, the suite shares the demo's ``var/`` (the file cache that ``make run`` uses, which
each test empties) and, under ``pytest -n``, the workers share one cache: one worker's throttle
counters and heartbeat land in another's test, and each worker's "empty the cache" fixture wipes
the others' keys mid-test.

* Redis: the key prefix gets the worker's name (``dapolice-test-gw0``), and under mutmut the
  child's database slot too (``dapolice-test-main-mut1``: every child is ``main``); the autouse
  ``_fresh_cache`` fixture and the end of the session delete only that prefix.
* Embedded default: the file cache, the filesystem broker and the static root move to a
  temporary directory of this process, removed at the end.
* ``DAPOLICE_VAR_DIR`` points there too, for the ``manage.py`` child processes some tests run.

The database: pytest-django gives each xdist worker its own test database (``test_<name>_gw0``).
Under mutmut (``make mutate`` sets ``DAPOLICE_MUTATION``), which forks a child per mutant and
runs them side by side with ``--reuse-db``, each running child claims a slot (a lock file) and uses
that slot's database (``test_<name>_mut0``...), made again by ``make mutate`` when a migration
changed and otherwise reused. Transactional tests are left out there: their flush would empty the
reused database for every child after them. At the end of every session the database
connections are closed, so a forked child never inherits a socket its parent still holds.
"""

from __future__ import annotations

import copy
import fcntl
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

_STATE = pytest.StashKey[tuple[Any, Path]]()
#: (lock file handle, its "database ready" marker); the handle is held open, and so locked,
#: until this process ends.
_SLOT_LOCKS: list[tuple[Any, Path]] = []
#: The process holding ``_SLOT_LOCKS`` (a forked child inherits the list, not the slot).
_SLOT_OWNER: list[int] = []
#: The number of the slot held (its database's and its cache key prefix's suffix).
_SLOT: list[int] = []
#: The database and test database names before any slot suffix (taken in the first process).
_BASE: dict[str, str] = {}


def worker_name(config: pytest.Config) -> str:
    """``gw0``, ``gw1``... under pytest-xdist; ``main`` otherwise."""
    workerinput = getattr(config, "workerinput", None)
    return workerinput["workerid"] if workerinput else "main"


def cache_prefix_keys(cache: Any, prefix: str) -> tuple[Any, list[bytes]]:
    """The Redis client and every key under ``prefix`` (Django's ``<prefix>:<version>:<key>``)."""
    client = cache._cache.get_client(None, write=True)
    return client, list(client.scan_iter(match=f"{prefix}:*"))


def mutation_database_suffix() -> int | None:
    """Under mutmut, a test database per concurrently running child (see the module doc).

    mutmut forks each child from the process that ran the clean tests, which already holds a
    slot: the child inherits that list, not the slot (its lock is the parent's), so it claims
    one of its own; else every child would share the parent's database and wait on the other
    children's row locks. Returns the slot's number (``None`` outside mutmut)."""
    if not os.environ.get("DAPOLICE_MUTATION"):
        return None
    if _SLOT_LOCKS and [os.getpid()] == _SLOT_OWNER:
        return _SLOT[0]
    from django.conf import settings

    db = settings.DATABASES["default"]
    if not _BASE:  # the first claim in the parent: the names before any suffix
        _BASE["name"] = str(db["NAME"])
        _BASE["test"] = str(db.get("TEST", {}).get("NAME") or f"test_{db['NAME']}")
    for handle, _ready in _SLOT_LOCKS:  # the parent's: it keeps its lock
        handle.close()
    _SLOT_LOCKS.clear()
    _SLOT_OWNER[:] = [os.getpid()]
    for slot in range(16):
        lock = (
            Path(tempfile.gettempdir()) / f"dapolice-mutmut-{Path(_BASE['name']).name}-{slot}.lock"
        )
        handle = lock.open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        _SLOT_LOCKS.append((handle, lock.with_suffix(".ready")))
        _SLOT[:] = [slot]
        db.setdefault("TEST", {})["NAME"] = f"{_BASE['test']}_mut{slot}"
        return slot
    raise RuntimeError("no free mutation database slot (more than 16 children?)")


def mutation_database_setup(blocker: Any) -> None:
    """Under ``make mutate``: migrate the slot's database once, then only point at it.

    A run forks a child per mutant; each would otherwise re-run ``migrate`` on its reused
    database (seconds per mutant, for nothing). ``tests/mutation/run.py`` deletes the ``.ready``
    markers with the databases at the start of a run when a migration changed.
    """
    from django.conf import settings
    from django.db import connections
    from django.test.utils import setup_databases

    ready = _SLOT_LOCKS[0][1]
    if ready.exists():
        connection = connections["default"]
        name = connection.creation._get_test_db_name()
        connection.close()
        connection.settings_dict["NAME"] = name
        settings.DATABASES["default"]["NAME"] = name
        return
    # Not marked ready: made from scratch. A child killed mid-migrate (mutmut's timeout, under
    # load) leaves a half-migrated database (a non-atomic migration's index without its row in
    # django_migrations); migrating it again fails, so every mutant run there was "killed".
    with blocker.unblock():
        setup_databases(verbosity=0, interactive=False, keepdb=False)
    ready.touch()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``make mutate``: no transactional test (see the module doc), and the quickest tests
    first (mutmut's measured durations), so a mutant that a unit test kills dies in
    milliseconds instead of after the slow tests that also run its function (``-x``)."""
    if not os.environ.get("DAPOLICE_MUTATION"):
        return
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("django_db")
        (drop if marker and marker.kwargs.get("transaction") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
    stats = Path("mutmut-stats.json")
    if stats.exists():
        import json

        durations = json.loads(stats.read_text()).get("duration_by_test", {})
        keep.sort(key=lambda item: durations.get(item.nodeid, 60.0))
    items[:] = keep


def _clear_function_caches() -> None:
    """Empty every ``functools`` cache of the project's modules.

    mutmut forks each mutant's process from one that ran the tests on the original code: a
    cached answer (``scoring.given_level``, ``keys.given_canon``) would hide the mutant below it.
    """
    import sys

    for name, module in list(sys.modules.items()):
        if name.split(".")[0] in {"dapolice", "incidents", "risk", "mash", "marac"}:
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("DAPOLICE_MUTATION"):
        _clear_function_caches()
    from django.conf import settings
    from django.test.utils import override_settings

    worker = worker_name(config)
    # Under mutmut every child is ``main``: the slot it claims (here, before any test; the
    # database fixture later finds it held) sets its cache keys apart from the other children's.
    slot = mutation_database_suffix()
    scratch = Path(tempfile.mkdtemp(prefix=f"dapolice-test-{worker}-"))
    caches = copy.deepcopy(settings.CACHES)
    default = caches["default"]
    overrides: dict[str, Any] = {"CACHES": caches, "STATIC_ROOT": scratch / "static"}
    if "redis" in default["BACKEND"].lower():
        mine = worker if slot is None else f"{worker}-mut{slot}"
        default["KEY_PREFIX"] = f"{default.get('KEY_PREFIX') or 'dapolice-test'}-{mine}"
    else:
        default["LOCATION"] = str(scratch / "cache")
    if settings.CELERY_BROKER_URL.startswith("filesystem"):
        broker = scratch / "broker"
        for sub in ("queue", "control"):
            (broker / sub).mkdir(parents=True)
        overrides["CELERY_BROKER_TRANSPORT_OPTIONS"] = {
            **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            "data_folder_in": str(broker / "queue"),
            "data_folder_out": str(broker / "queue"),
            "control_folder": str(broker / "control"),
        }
    overrides["CELERY_BEAT_SCHEDULE_FILENAME"] = str(scratch / "celerybeat-schedule")
    os.environ["DAPOLICE_VAR_DIR"] = str(scratch)
    override = override_settings(**overrides)
    override.enable()
    config.stash[_STATE] = (override, scratch)


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is None:
        return
    override, scratch = state
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connections

    connections.close_all()
    if "redis" in settings.CACHES["default"]["BACKEND"].lower():
        try:
            client, keys = cache_prefix_keys(cache, settings.CACHES["default"]["KEY_PREFIX"])
            if keys:
                client.delete(*keys)
        except Exception:  # noqa: BLE001, S110 (Redis gone at the end: nothing left to tidy)
            pass
    override.disable()
    shutil.rmtree(scratch, ignore_errors=True)
    del config.stash[_STATE]
