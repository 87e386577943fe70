"""The course's own Postgres: its settings, the port it really listens on, and its lifetime."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from dagster_and_etl.course import settings
from dagster_and_etl.course.postgres import (
    LocalPostgres,
    PostgresSettings,
    free_port,
    port_is_open,
)

ROOT = settings.PROJECT_ROOT


def scratch_copy(folder: Path) -> Path:
    """The repository's files as they are now (tracked and new, not ignored), in `folder`."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    return folder


def course(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`course …` run in `cwd`, whose own package and .env are the ones used."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("POSTGRES_", "COURSE_", "DUCKDB_DATABASE"))
    }
    return subprocess.run(
        [sys.executable, "-m", "dagster_and_etl.course", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip


def two_free_ports() -> tuple[int, int]:
    first = free_port()
    second = free_port()
    while second == first:
        second = free_port()
    return first, second


@pytest.fixture
def scratch(postgres_folder: Path):
    """A scratch copy of the repository; whatever `course postgres` started there is stopped."""
    folder = scratch_copy(postgres_folder / "course")
    yield folder
    stopped = course("postgres", "stop", cwd=folder)
    assert "stopped" in stopped.stdout, stopped.stdout + stopped.stderr


def test_settings_come_from_dotenv_unless_the_shell_sets_them(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text("POSTGRES_PORT=6543\n")
    monkeypatch.setattr(settings, "ENV_FILE", env_file)
    monkeypatch.delenv("POSTGRES_PORT", raising=False)
    assert PostgresSettings.from_env().port == 6543
    assert PostgresSettings.from_env().user == "test_user"  # from .env.example
    monkeypatch.setenv("POSTGRES_PORT", "7654")
    assert PostgresSettings.from_env().port == 7654
    monkeypatch.setenv("POSTGRES_PORT", "not-a-port")
    with pytest.raises(ValueError, match="POSTGRES_PORT"):
        PostgresSettings.from_env()


def test_a_port_in_dotenv_is_where_postgres_starts_and_lessons_connect(scratch):
    port = free_port()
    (scratch / ".env").write_text(f"POSTGRES_PORT={port}\n")
    started = course("postgres", "start", cwd=scratch)
    assert started.returncode == 0, started.stderr
    assert f"running on postgresql://test_user@localhost:{port}/test_db" in started.stdout
    assert port_is_open("127.0.0.1", port)
    # `course dev` hands the lessons (dg.EnvVar) the same port, and the kit connects there.
    lesson_side = textwrap.dedent(
        """
        from dagster_and_etl.course import cli
        from dagster_and_etl.course.postgres import LocalPostgres
        print(cli._course_env()["POSTGRES_PORT"])
        with LocalPostgres().connect() as conn:
            print(conn.execute("select count(*) from data.orders").fetchone()[0])
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTGRES_", "DAGSTER_HOME"))}
    env["DAGSTER_HOME"] = str(scratch / ".dagster_home")
    probe = subprocess.run(
        [sys.executable, "-c", lesson_side], cwd=scratch, env=env,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert probe.stdout.split() == [str(port), "60"], probe.stderr
    assert course("postgres", "start", cwd=scratch).returncode == 0  # twice is fine


def test_status_reports_the_port_the_server_really_listens_on(scratch):
    first, second = two_free_ports()
    (scratch / ".env").write_text(f"POSTGRES_PORT={first}\n")
    assert course("postgres", "start", cwd=scratch).returncode == 0

    (scratch / ".env").write_text(f"POSTGRES_PORT={second}\n")
    status = course("postgres", "status", cwd=scratch).stdout
    assert f"running on postgresql://test_user@localhost:{first}/test_db" in status
    assert f"It listens on port {first}, but POSTGRES_PORT is {second}" in status

    moved = course("postgres", "start", cwd=scratch)
    assert moved.returncode == 0, moved.stderr
    assert port_is_open("127.0.0.1", second) and not port_is_open("127.0.0.1", first)
    status = course("postgres", "status", cwd=scratch).stdout
    assert f"localhost:{second}/test_db" in status and "but POSTGRES_PORT" not in status

    stopped = course("postgres", "stop", cwd=scratch)
    assert stopped.stdout.startswith("stopped") and not port_is_open("127.0.0.1", second)


def test_a_taken_port_is_named(postgres_folder):
    where = PostgresSettings.from_env(port=free_port())
    with LocalPostgres(postgres_folder / "one", where) as one:
        other = LocalPostgres(postgres_folder / "two", one.settings)
        with pytest.raises(RuntimeError, match=f"Port {one.settings.port} is already taken"):
            other.start()


def test_data_from_another_postgres_version_says_to_reset(postgres_folder):
    pgdata = postgres_folder / "pgdata"
    pgdata.mkdir(parents=True)
    (pgdata / "PG_VERSION").write_text("16\n")
    server = LocalPostgres(postgres_folder, PostgresSettings.from_env(port=free_port()))
    with pytest.raises(RuntimeError, match="course postgres reset"):
        server.start()


def process_is_gone(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().split(")")[-1].split()[0] == "Z"  # exited, not yet reaped
    except OSError:
        return True


@pytest.mark.skipif(platform.system() != "Linux", reason="the kernel's parent-death signal")
def test_a_server_dies_with_the_process_that_started_it(postgres_folder):
    """Even a process killed outright (as a stuck test worker might be) takes its server along."""
    port = free_port()
    owner = textwrap.dedent(
        f"""
        import os, signal
        from dagster_and_etl.course.postgres import LocalPostgres, PostgresSettings
        where = PostgresSettings.from_env(port={port})
        server = LocalPostgres({str(postgres_folder)!r}, where).start()
        print(server.postmaster().pid, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    killed = subprocess.run(
        [sys.executable, "-c", owner], capture_output=True, text=True, timeout=120
    )
    assert killed.returncode == -9, killed.stderr
    pid = int(killed.stdout.split()[0])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (
        process_is_gone(pid) and not port_is_open("127.0.0.1", port)
    ):
        time.sleep(0.2)
    assert process_is_gone(pid), f"postgres {pid} outlived the process that started it"
    assert not port_is_open("127.0.0.1", port)
