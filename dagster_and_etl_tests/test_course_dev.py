"""`course dev`: the Dagster UI on your lessons, one code location per lesson."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from dagster_and_etl.course import locations
from dagster_and_etl.course.postgres import free_port
from dagster_and_etl_tests.clones import ROOT


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def asset_keys_served(port: int, deadline: float) -> set[str] | None:
    query = "{ assetNodes { assetKey { path } } }"
    while time.monotonic() < deadline:
        try:
            nodes = graphql(port, query)["data"]["assetNodes"]
            return {"/".join(node["assetKey"]["path"]) for node in nodes}
        except (OSError, KeyError, TypeError):
            time.sleep(1)
    return None


def location_names(port: int) -> list[str]:
    answer = graphql(port, "{ workspaceOrError { ... on Workspace { locationEntries { name } } } }")
    return [entry["name"] for entry in answer["data"]["workspaceOrError"]["locationEntries"]]


@pytest.mark.parametrize(
    "args, expected_locations",
    [
        # Your lesson N alone is `course dev N` without --solution: the same path.
        (["2", "--solution"], ["lesson_2_completed"]),
        ([], [f"lesson_{n}" for n in locations.workspace_lessons()]),
    ],
)
def test_course_dev_passes_options_and_serves_one_location_per_lesson(
    tmp_path, args, expected_locations
):
    """`course dev [N] [--solution] -p PORT` answers on that port, with one code location
    per lesson served."""
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "home")}
    process = subprocess.Popen(
        [sys.executable, "-m", "dagster_and_etl.course", "dev", *args, "-p", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        keys = asset_keys_served(port, time.monotonic() + 180)
        assert keys is not None, "the UI did not answer"
        if args[:1] == ["2"]:
            assert keys == {"import_file", "duckdb_table", "import_file_s3", "duckdb_table_s3"}
        assert location_names(port) == expected_locations
        assert (tmp_path / "home" / "dagster.yaml").exists()  # the pools, in DAGSTER_HOME
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
