"""Lesson 10: the course's Dagster instance on Postgres, and serving it like a deployment.

    course instance [--solution]      write DAGSTER_HOME/dagster.yaml from your lesson 10
                                      dagster.yaml, and create the database it names
    course serve [N ...] [--completed M ...] [--solution] [-p PORT]
                                      one gRPC code server per lesson, the webserver and
                                      the daemon: the processes of deploy/, on one machine

The instance settings name their credentials as `{env: ...}` references; the
values come from POSTGRES_* and DAGSTER_POSTGRES_DB (shell, .env, .env.example).
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from dagster_and_etl.course import locations, settings

LESSON = 10
STOP_TIMEOUT_SECONDS = 30


def instance_yaml_source(solution: bool = False) -> Path:
    """Your lesson 10 dagster.yaml, or the completed lesson's."""
    if solution:
        return locations.PACKAGE_DIR / f"lesson_{LESSON}" / "defs" / "dagster.yaml"
    return locations.WORKSPACE_DIR / f"lesson_{LESSON}" / "dagster.yaml"


def dagster_database() -> str:
    return settings.get("DAGSTER_POSTGRES_DB", "dagster")


def ensure_database(postgres_settings, name: str) -> bool:
    """Create database `name` on the Postgres that `postgres_settings` names; True if new.

    It connects as the course user, which may create databases (as in Docker's image).
    """
    import psycopg
    from psycopg import sql

    from dagster_and_etl.course.postgres import port_is_open

    s = postgres_settings
    if not port_is_open(s.host, s.port):
        raise RuntimeError(
            f"Postgres is not reachable at {s.host}:{s.port}. Start the course's Postgres with "
            "`course postgres start` (or check POSTGRES_HOST and POSTGRES_PORT), then run "
            "`course instance` again."
        )
    try:
        with psycopg.connect(s.conninfo(), autocommit=True) as conn:
            found = conn.execute("select 1 from pg_database where datname = %s", [name])
            if found.fetchone():
                return False
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    except psycopg.Error as error:
        raise RuntimeError(
            f"Could not create the database {name} on {s.describe()} as {s.user}: "
            f"{str(error).strip().splitlines()[-1]}. Check POSTGRES_USER and POSTGRES_PASSWORD."
        ) from error
    return True


def write_instance(home: Path, source: Path) -> Path | None:
    """Copy `source` to home/dagster.yaml; an earlier, different file is kept beside it.

    Returns the backup's path, if one was made.
    """
    if not source.exists():
        raise FileNotFoundError(f"There is no {source}: write your lesson 10 dagster.yaml first.")
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    backup = None
    if target.exists() and target.read_bytes() != source.read_bytes():
        backup = home / "dagster.yaml.before-lesson-10"
        shutil.copy(target, backup)
    shutil.copy(source, target)
    return backup


def open_instance(home: Path):
    """The Dagster instance DAGSTER_HOME describes, opened as every Dagster process opens it."""
    import dagster as dg

    return dg.DagsterInstance.from_config(str(home))


def describe(instance) -> dict[str, str]:
    """What an instance is made of, in words: its storage, run queue, monitoring, retries."""
    queue = instance.get_concurrency_config().run_queue_config
    return {
        "run storage": type(instance.run_storage).__name__,
        "event log storage": type(instance.event_log_storage).__name__,
        "schedule storage": type(instance.schedule_storage).__name__,
        "run coordinator": type(instance.run_coordinator).__name__,
        "runs at once": str(queue.max_concurrent_runs if queue else "no limit"),
        "run monitoring": "on" if instance.run_monitoring_enabled else "off",
        "run timeout (s)": str(instance.run_monitoring_max_runtime_seconds or "none"),
        "run retries": str(instance.run_retries_max_retries if instance.run_retries_enabled else 0),
    }


# -- course serve --------------------------------------------------------------------------


def grpc_workspace_yaml(servers: Mapping[str, int]) -> str:
    """A workspace file naming one gRPC code server per location, as deploy/workspace.yaml."""
    lines = ["# Written by `course serve`: one gRPC code server per lesson.", "load_from:"]
    for name, port in servers.items():
        lines += [
            "  - grpc_server:",
            "      host: 127.0.0.1",
            f"      port: {port}",
            f"      location_name: {name}",
        ]
    return "\n".join(lines) + "\n"


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float) -> None:
    from dagster_and_etl.course.postgres import port_is_open

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{' '.join(process.args[:4])} … stopped (exit {process.returncode})"
            )
        if port_is_open("127.0.0.1", port):
            return
        time.sleep(0.2)
    raise RuntimeError(f"Nothing answered on port {port} within {timeout:.0f} s.")


def stop_all(processes: Sequence[subprocess.Popen], timeout: float = STOP_TIMEOUT_SECONDS) -> None:
    """SIGINT to each process (Dagster's own Ctrl-C), then SIGKILL after `timeout`."""
    for process in reversed(processes):
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def serve(
    locations_to_serve: Sequence[tuple[int, bool]],
    *,
    port: int = 3000,
    env: Mapping[str, str],
    echo=print,
) -> int:
    """Run one code server per location, then the webserver and the daemon; stop on Ctrl-C.

    Returns an exit code: 0 after Ctrl-C (or SIGTERM), 1 if a process stopped by itself.
    """
    from dagster_and_etl.course.postgres import free_port

    home = Path(env["DAGSTER_HOME"])
    bin_dir = Path(sys.executable).parent
    processes: list[subprocess.Popen] = []
    stopping = False

    def on_signal(signum, frame):
        nonlocal stopping
        stopping = True

    # Open the instance once first: its storage is created (or migrated) by one process,
    # not raced by several (SQLite, in particular, fails when they race), and a database
    # that cannot be reached is reported before anything starts.
    opened = subprocess.run(
        [sys.executable, "-c", "import dagster as dg; dg.DagsterInstance.get().dispose()"],
        env=dict(env), cwd=home, capture_output=True, text=True,
    )  # fmt: skip
    if opened.returncode != 0:
        last = (opened.stderr.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"Dagster cannot open the instance in {home}: {last}")

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        servers = {}
        for lesson, solution in locations_to_serve:
            name = locations.location_name(lesson, solution)
            servers[name] = free_port()  # from course.postgres: any free local port
            command = [
                str(bin_dir / "dagster"), "api", "grpc",
                "-m", locations.location_module(lesson, solution),
                "-d", str(settings.PROJECT_ROOT),
                "-h", "127.0.0.1", "-p", str(servers[name]), "--location-name", name,
            ]  # fmt: skip
            processes.append(subprocess.Popen(command, env=dict(env), cwd=home))
        for process, server_port in zip(processes, servers.values(), strict=True):
            _wait_for_port(server_port, process, timeout=180)
        workspace = home / "workspace-serve.yaml"
        workspace.write_text(grpc_workspace_yaml(servers), encoding="utf-8")
        common = ["-w", str(workspace)]
        processes.append(
            subprocess.Popen(
                [str(bin_dir / "dagster-daemon"), "run", *common], env=dict(env), cwd=home
            )
        )
        processes.append(
            subprocess.Popen(
                [str(bin_dir / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port), *common],
                env=dict(env),
                cwd=home,
            )
        )
        echo(f"Serving {', '.join(servers)} with the daemon; the UI is on http://127.0.0.1:{port}")
        echo("Press Ctrl-C to stop every process.")
        while not stopping:
            if any(process.poll() is not None for process in processes):
                echo("A Dagster process stopped by itself; stopping the others.")
                return 1
            time.sleep(0.5)
        return 0
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        stop_all(processes)
