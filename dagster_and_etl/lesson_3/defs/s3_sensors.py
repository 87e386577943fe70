import json
import re

import dagster as dg

from dagster_and_etl.course import settings
from dagster_and_etl.course.object_store import s3_client, s3_errors

from .s3_assets import import_s3_partition_job, s3_partition

# At most this many runs per tick, as dynamic_sensor: the first tick on a full
# bucket starts a trickle, not a flood.
MAX_RUNS_PER_TICK = 5
# Partition keys are object names without the prefix and .csv; plain characters only.
VALID_KEY = re.compile(r"^[A-Za-z0-9_.-]+$")


@dg.sensor(job=import_s3_partition_job, minimum_interval_seconds=60)
def s3_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """Adds a partition for each CSV object under the course's S3 prefix and loads it;
    again when its ETag changes."""
    # The cursor maps every object seen so far to the ETag it was loaded at.
    loaded: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    bucket = settings.get("COURSE_S3_BUCKET")
    prefix = settings.get("COURSE_S3_PREFIX")
    page_size = int(settings.get("COURSE_S3_LIST_PAGE_SIZE", "1000"))

    # S3 returns a listing in pages of at most page_size keys; the paginator
    # follows each page's continuation token until the listing is complete.
    paginator = s3_client().get_paginator("list_objects_v2")
    pages = paginator.paginate(
        Bucket=bucket, Prefix=prefix, PaginationConfig={"PageSize": page_size}
    )
    present: dict[str, str] = {}
    changed = []
    # A missing bucket or an unreachable endpoint fails the tick in words.
    with s3_errors(bucket):
        for page in pages:
            for item in page.get("Contents", []):
                name = item["Key"].removeprefix(prefix)
                if not name.endswith(".csv") or not VALID_KEY.match(name.removesuffix(".csv")):
                    continue  # another kind of file, or one in a "subfolder"
                # The ETag is a hash of the content: a rewrite with new content
                # changes it, an identical upload does not.
                etag = item["ETag"].strip('"')
                present[name] = etag
                if loaded.get(name) != etag:
                    changed.append((name, etag))

    run_requests = []
    new_keys = []
    for name, etag in changed[:MAX_RUNS_PER_TICK]:
        key = name.removesuffix(".csv")
        if key not in new_keys and not context.instance.has_dynamic_partition(
            s3_partition.name, key
        ):
            new_keys.append(key)
        run_requests.append(dg.RunRequest(run_key=f"{name}:{etag}", partition_key=key))
        loaded[name] = etag

    # Every object still present that has been requested; deleted ones drop out.
    cursor = {name: loaded[name] for name in sorted(present) if name in loaded}
    return dg.SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=[s3_partition.build_add_request(new_keys)] if new_keys else [],
        cursor=json.dumps(cursor, separators=(",", ":")),
    )
