"""No process the tests start may outlive the test session.

The session marks its environment with a unique SESSION_MARKER. Every process
the tests start inherits it: the Postgres servers, Sling and the DuckDB CLI
it drives, Jupyter kernels, `dagster dev`, the `course` commands and their
own children, whoever their parent is by then (an orphan's is PID 1). When
the session ends, any process still carrying the marker is reported, stopped,
and fails the run.

Only the session that set the marker checks: a `pytest` started by a test
(`course check`) inherits the marker, and its leftovers are the outer
session's to find.
"""

from __future__ import annotations

import os
import time
import uuid

import psutil
import pytest

SESSION_MARKER = "DAGSTER_AND_ETL_TEST_SESSION"
SETTLE_SECONDS = 15.0  # for xdist workers and stopping servers to finish exiting


_owner_key = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """Give this session's environment its marker, unless an outer session already did."""
    if SESSION_MARKER in os.environ:
        return
    os.environ[SESSION_MARKER] = uuid.uuid4().hex
    config.stash[_owner_key] = os.environ[SESSION_MARKER]


# Helpers the interpreter starts for this process itself (multiprocessing's
# resource tracker and fork server): they end when it ends, after this check.
OWN_HELPERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")


def _own_helper(process: psutil.Process, me: int) -> bool:
    try:
        return process.ppid() == me and any(h in " ".join(process.cmdline()) for h in OWN_HELPERS)
    except psutil.Error:
        return False


def marked_processes(marker: str) -> list[psutil.Process]:
    """Processes other than this one, its ancestors and its interpreter's own helpers whose
    environment carries `marker`."""
    me = psutil.Process()
    exclude = {me.pid, *(parent.pid for parent in me.parents())}
    found = []
    for process in psutil.process_iter():
        if process.pid in exclude or _own_helper(process, me.pid):
            continue
        try:
            if process.environ().get(SESSION_MARKER) == marker and process.status() != "zombie":
                found.append(process)
        except (psutil.Error, OSError):
            continue  # gone, or not ours to read
    return found


def _describe(process: psutil.Process) -> str:
    try:
        return f"pid {process.pid} (parent {process.ppid()}): {' '.join(process.cmdline())[:200]}"
    except psutil.Error:
        return f"pid {process.pid} (already gone)"


@pytest.hookimpl(hookwrapper=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int):
    # After every other sessionfinish, pytest-xdist's worker teardown included.
    yield
    marker = session.config.stash.get(_owner_key, None)
    if marker is None:
        return
    deadline = time.monotonic() + SETTLE_SECONDS
    leftovers = marked_processes(marker)
    while leftovers and time.monotonic() < deadline:
        time.sleep(0.5)
        leftovers = marked_processes(marker)
    if not leftovers:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = [_describe(process) for process in leftovers]
    for process in leftovers:
        try:
            process.kill()
        except psutil.Error:
            pass
    message = (
        f"{len(leftovers)} process(es) started by the tests outlived the session "
        "(now stopped); a fixture or helper did not stop what it started:\n  " + "\n  ".join(lines)
    )
    if reporter is not None:
        reporter.write_sep("=", "leftover processes", red=True)
        reporter.write_line(message)
    else:
        print(message)
    if session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
