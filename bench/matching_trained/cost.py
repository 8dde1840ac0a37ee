"""``python -m bench.matching_trained.cost``: read and train on ``DATABASE_URL``'s persons,
print one JSON line of timings and the peak memory (this process's own)."""

from __future__ import annotations

import json
import os
import resource
import time
from typing import Any


def measure() -> dict[str, Any]:
    from incidents.matching import training

    started = time.perf_counter()
    records = training.training_records()
    read = time.perf_counter() - started
    trained = training.train(records)
    return {
        "records": trained.record_count,
        "read_seconds": round(read, 1),
        "train_seconds": trained.seconds,
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
        "tf_values": sum(len(t) for t in trained.frequencies.values()),
    }


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dapolice.settings")
    django.setup()
    print(json.dumps(measure()))  # noqa: T201
