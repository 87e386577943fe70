import json
import re
import time

import dagster as dg

from dagster_and_etl.course import settings

from .jobs import import_dynamic_partition_job
from .partitions import dynamic_partition

# A file must be unchanged for this long before it is loaded, so a file that is
# still being copied in is not read half-written.
SETTLE_SECONDS = 10
# At most this many runs per tick; the rest wait for the next tick. Enabling the
# sensor on a folder of old files therefore starts a trickle, not a flood.
MAX_RUNS_PER_TICK = 5
# Partition keys are file names without .csv; keep them to plain characters.
VALID_KEY = re.compile(r"^[A-Za-z0-9_.-]+$")


@dg.sensor(job=import_dynamic_partition_job, minimum_interval_seconds=30)
def dynamic_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """Adds a partition for each CSV file in data/source/ and loads it; again when it changes."""
    # The cursor maps every file seen so far to the modification time it was
    # loaded at. Files that disappear are dropped, so it never outgrows the folder.
    loaded: dict[str, int] = json.loads(context.cursor) if context.cursor else {}
    folder = settings.source_dir()
    now = time.time()

    present: dict[str, int] = {}
    ready = []
    for path in sorted(folder.glob("*.csv")):
        if not path.is_file() or not VALID_KEY.match(path.stem):
            continue
        modified = path.stat().st_mtime_ns
        present[path.name] = modified
        if loaded.get(path.name) == modified:
            continue  # loaded already, unchanged since
        if now - modified / 1e9 < SETTLE_SECONDS:
            continue  # still being written, or just touched: wait for it to settle
        ready.append((path, modified))

    run_requests = []
    new_keys = []
    for path, modified in ready[:MAX_RUNS_PER_TICK]:
        key = path.stem
        if key not in new_keys and not context.instance.has_dynamic_partition(
            dynamic_partition.name, key
        ):
            new_keys.append(key)
        # The modification time is part of the run key: a changed file gets a
        # new run even though the file's earlier run key has been used.
        run_requests.append(dg.RunRequest(run_key=f"{path.name}:{modified}", partition_key=key))
        loaded[path.name] = modified

    cursor = {name: loaded[name] for name in sorted(present) if name in loaded}
    return dg.SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=[dynamic_partition.build_add_request(new_keys)]
        if new_keys
        else [],
        cursor=json.dumps(cursor, separators=(",", ":")),
    )
