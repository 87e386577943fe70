"""The session-end check: a process the tests start and never stop fails the suite."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pytest

from dagster_and_etl_tests.leftover_processes import SESSION_MARKER


def run_inner_session(folder: Path, test_body: str) -> subprocess.CompletedProcess:
    """A separate pytest session with only the check as a plugin, on one test file."""
    (folder / "test_inner.py").write_text(textwrap.dedent(test_body))
    # Without the outer session's marker, and without its PYTEST_ADDOPTS (`-n 6` would be
    # a usage error here, where xdist is off).
    env = {k: v for k, v in os.environ.items() if k not in (SESSION_MARKER, "PYTEST_ADDOPTS")}
    return subprocess.run(
        [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            "-p", "no:nbmake", "-p", "no:xdist",  # a second or two less to start
            "-p", "dagster_and_etl_tests.leftover_processes",
            "--rootdir", str(folder), "-o", "addopts=", str(folder / "test_inner.py"),
        ],
        cwd=folder, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_process_left_running_fails_the_session_and_is_stopped(tmp_path):
    pid_file = tmp_path / "pid"
    result = run_inner_session(
        tmp_path,
        f"""
        import subprocess, sys

        from dagster_and_etl_tests import leftover_processes

        leftover_processes.SETTLE_SECONDS = 1  # the default waits for slow shutdowns

        def test_starts_a_server_and_forgets_it():
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
            open({str(pid_file)!r}, "w").write(str(child.pid))
        """,
    )
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout
    assert "1 passed" in result.stdout
    assert "outlived the session" in result.stdout
    assert "time.sleep(600)" in result.stdout
    pid = int(pid_file.read_text())
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_a_session_that_stops_what_it_starts_passes(tmp_path):
    result = run_inner_session(
        tmp_path,
        """
        import subprocess, sys

        def test_starts_and_stops_a_server():
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
            child.kill()
            child.wait()
        """,
    )
    assert result.returncode == pytest.ExitCode.OK, result.stdout
    assert "outlived" not in result.stdout


def test_the_interpreters_own_multiprocessing_helper_is_not_a_leftover(tmp_path):
    """multiprocessing's resource tracker, started by the session process itself (as Dagster's
    executors do in a `pytest -n 0` run), ends with it and is not reported."""
    result = run_inner_session(
        tmp_path,
        """
        def test_uses_shared_memory():
            from multiprocessing import shared_memory

            block = shared_memory.SharedMemory(create=True, size=16)  # starts the tracker
            block.close()
            block.unlink()
            children = [p.name() for p in __import__("psutil").Process().children()]
            assert children, "the resource tracker did not start"
        """,
    )
    assert result.returncode == pytest.ExitCode.OK, result.stdout
    assert "outlived" not in result.stdout
