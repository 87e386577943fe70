"""Wait until the Dagster UI on a port has loaded every expected code location.

    python3 .ci/ui_locations.py PORT lesson_2 lesson_3 ...

Standard library only (it runs with the system's Python). Exits 0 once each
name is a loaded location, 1 when a location fails to load, the names differ,
or 300 s pass; it prints what it found either way.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.request

QUERY = """{ workspaceOrError { ... on Workspace { locationEntries {
  name loadStatus locationOrLoadError { __typename ... on PythonError { message } } } } } }"""
TIMEOUT_SECONDS = 300


def entries(port: int) -> list[dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": QUERY}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["data"]["workspaceOrError"]["locationEntries"]


def main(port: int, expected: list[str]) -> int:
    started = time.monotonic()
    found: list[dict] = []
    while time.monotonic() - started < TIMEOUT_SECONDS:
        try:
            found = entries(port)
        except (OSError, KeyError, TypeError, ValueError):
            time.sleep(1)
            continue
        names = [entry["name"] for entry in found]
        if names != expected:
            print(f"the UI serves {names}, not {expected}", file=sys.stderr)
            return 1
        errors = {
            entry["name"]: entry["locationOrLoadError"]["message"].splitlines()[0]
            for entry in found
            if (entry["locationOrLoadError"] or {}).get("__typename") == "PythonError"
        }
        if errors:
            print(f"code locations failed to load: {errors}", file=sys.stderr)
            return 1
        if all(entry["loadStatus"] == "LOADED" for entry in found):
            print(f"all {len(found)} code locations loaded in {time.monotonic() - started:.0f} s")
            return 0
        time.sleep(1)
    print(f"not every code location loaded within {TIMEOUT_SECONDS} s: {found}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), sys.argv[2:]))
