import json

import dagster as dg

from dagster_and_etl.course import settings

from .assets.requests import adhoc_request

adhoc_request_job = dg.define_asset_job("adhoc_request_job", selection=[adhoc_request])


@dg.sensor(job=adhoc_request_job, minimum_interval_seconds=30)
def adhoc_request_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """Runs adhoc_request for each new or changed JSON request in data/sales/requests/."""
    # The cursor maps every request file seen to the modification time it was
    # handled at; files that disappear are dropped from it.
    seen: dict[str, int] = json.loads(context.cursor) if context.cursor else {}
    folder = settings.sales_dir() / "requests"
    run_requests = []
    current = {}
    for path in sorted(folder.glob("*.json")):
        modified = path.stat().st_mtime_ns
        current[path.name] = modified
        if seen.get(path.name) == modified:
            continue
        try:
            request = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            context.log.warning(
                f"Skipping {path.name}: not valid JSON ({error}). Fix and save it again."
            )
            continue
        run_requests.append(
            dg.RunRequest(
                run_key=f"{path.name}:{modified}",
                run_config={"ops": {"adhoc_request": {"config": request}}},
                tags={"request_file": path.name},
            )
        )
    return dg.SensorResult(
        run_requests=run_requests, cursor=json.dumps(current, separators=(",", ":"))
    )
