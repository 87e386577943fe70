"""`course dev`: the Dagster UI on your lessons, one code location per lesson."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

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


def test_course_dev_passes_options_and_serves_the_lesson(tmp_path):
    """`course dev 2 --solution -p PORT` answers on that port with lesson 2's completed code as
    its one code location, and puts the pools' dagster.yaml in DAGSTER_HOME. (Your lesson N
    alone, `course dev N`, takes the same path.)"""
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "home")}
    process = subprocess.Popen(
        [sys.executable, "-m", "dagster_and_etl.course", "dev", "2", "--solution", "-p", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        keys = asset_keys_served(port, time.monotonic() + 180)
        assert keys is not None, "the UI did not answer"
        assert keys == {"import_file", "duckdb_table", "import_file_s3", "duckdb_table_s3"}
        assert location_names(port) == ["lesson_2_completed"]
        assert (tmp_path / "home" / "dagster.yaml").exists()  # the pools, in DAGSTER_HOME
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def test_course_dev_hands_dg_one_location_per_lesson(tmp_path):
    """`course dev` with no lesson hands `dg dev` a workspace with one code location per lesson
    of yours, and passes on the options it does not know (here one dg refuses, so nothing
    starts). CI's set-up check serves that workspace and waits until every lesson loads."""
    home = tmp_path / "home"
    result = subprocess.run(
        [sys.executable, "-m", "dagster_and_etl.course", "dev", "--no-such-dg-option"],
        cwd=ROOT, env={**os.environ, "DAGSTER_HOME": str(home)},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "--no-such-dg-option" in result.stderr  # dg's own refusal: the option reached it
    handed = result.stderr.splitlines()
    command = next(line for line in handed if line.startswith("$ ")).split()
    assert command[1:4] == [str(Path(sys.executable).with_name("dg")), "dev", "-w"], command
    workspace = yaml.safe_load(Path(command[4]).read_text(encoding="utf-8"))
    served = [
        (entry["python_module"]["location_name"], entry["python_module"]["module_name"])
        for entry in workspace["load_from"]
    ]
    lessons = locations.workspace_lessons()
    expected = [(f"lesson_{n}", f"dagster_and_etl.defs.lesson_{n}.definitions") for n in lessons]
    assert served == expected
