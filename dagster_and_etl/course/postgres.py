"""A local PostgreSQL server for the Sling lessons, without Docker.

The server binaries come from the `pgserver` package (PostgreSQL 16). The
server listens on localhost at POSTGRES_PORT, with the course's database, user
and password (POSTGRES_DB, POSTGRES_USER, POSTGRES_PASSWORD), and is seeded with
the same SQL file the Docker Compose set-up uses:
`dagster_and_etl_tests/postgres/seed.sql`.

    course postgres start | status | stop | reset

Its data lives in data/postgres/ (git-ignored). Tests run their own server on a
free port in a temporary folder with `LocalPostgres(folder, port).start()`.
"""

from __future__ import annotations

import os
import platform
import shutil
import socket
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from dagster_and_etl.course import settings

SEED_SQL = settings.PROJECT_ROOT / "dagster_and_etl_tests" / "postgres" / "seed.sql"
DEFAULT_DATA_DIR = settings.DATA_DIR / "postgres"
SYSTEM_USER_FOR_ROOT = "pgserver"  # PostgreSQL refuses to run as root


@dataclass(frozen=True)
class PostgresSettings:
    """Where the course's Postgres is and how to log in."""

    host: str
    port: int
    database: str
    user: str
    password: str

    @classmethod
    def from_env(cls, **overrides: object) -> PostgresSettings:
        """POSTGRES_* from the environment, or the course defaults documented in .env.example."""
        values = {**settings.env_example_defaults(), **os.environ}
        fields = {
            "host": values["POSTGRES_HOST"],
            "port": int(values["POSTGRES_PORT"]),
            "database": values["POSTGRES_DB"],
            "user": values["POSTGRES_USER"],
            "password": values["POSTGRES_PASSWORD"],
        }
        return cls(**{**fields, **overrides})

    def conninfo(self) -> str:
        return (
            f"host={self.host} port={self.port} dbname={self.database} "
            f"user={self.user} password={self.password} connect_timeout=5"
        )

    def environment(self) -> dict[str, str]:
        """These settings as the POSTGRES_* variables the lessons read."""
        return {
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_DB": self.database,
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password,
        }

    def describe(self) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}"


def _pgserver_bin_path() -> Path:
    """Where pgserver's PostgreSQL binaries are (importing it warns about XDG_RUNTIME_DIR)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver._commands import POSTGRES_BIN_PATH
    return Path(POSTGRES_BIN_PATH)


def port_is_open(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalPostgres:
    """A PostgreSQL server from pgserver's binaries, in `data_dir`, on localhost:`port`."""

    def __init__(self, data_dir: Path | None = None, settings_: PostgresSettings | None = None):
        self.data_dir = Path(data_dir or DEFAULT_DATA_DIR).resolve()
        self.settings = settings_ or PostgresSettings.from_env()
        self.pgdata = self.data_dir / "pgdata"
        self.log_file = self.data_dir / "server.log"
        # Unix socket paths are limited to about 100 characters: keep it short.
        self.socket_dir = Path(tempfile.gettempdir()) / f"course-pg-{self.settings.port}"
        self._run_as = (
            SYSTEM_USER_FOR_ROOT if platform.system() != "Windows" and os.geteuid() == 0 else None
        )

    # -- the PostgreSQL commands -------------------------------------------------

    def _bin(self, name: str) -> str:
        return str(_pgserver_bin_path() / name)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            list(args), user=self._run_as, capture_output=True, text=True, check=check, timeout=60
        )

    def _prepare_permissions(self) -> None:
        """As root, PostgreSQL runs as the `pgserver` user, which must reach its files."""
        if not self._run_as:
            return
        import pwd
        import stat

        from pgserver._commands import POSTGRES_BIN_PATH
        from pgserver.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(self._run_as)
        ensure_prefix_permissions(self.data_dir)
        ensure_prefix_permissions(POSTGRES_BIN_PATH)
        read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
        ensure_folder_permissions(POSTGRES_BIN_PATH, read | execute)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
        entry = pwd.getpwnam(self._run_as)
        for path in (self.data_dir, self.socket_dir):
            os.chown(path, entry.pw_uid, entry.pw_gid)

    # -- lifecycle -----------------------------------------------------------------

    def is_running(self) -> bool:
        if not (self.pgdata / "PG_VERSION").exists():
            return False
        status = self._run(self._bin("pg_ctl"), "status", "-D", str(self.pgdata), check=False)
        return status.returncode == 0

    def start(self) -> LocalPostgres:
        """Start the server (creating and seeding it the first time). Safe to call twice."""
        if self.is_running():
            return self
        if port_is_open("127.0.0.1", self.settings.port):
            raise RuntimeError(
                f"Port {self.settings.port} is already taken by another program (another "
                "Postgres, perhaps Docker's). Stop it, or set POSTGRES_PORT to a free port."
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        self._prepare_permissions()
        fresh = not (self.pgdata / "PG_VERSION").exists()
        if fresh:
            self._run(
                self._bin("initdb"),
                "-D", str(self.pgdata),
                "-U", "postgres",
                "--auth-local=trust",  # the socket is private to this server's user
                "--auth-host=scram-sha-256",  # TCP logins need the password
                "--encoding=UTF8",
            )  # fmt: skip
        options = (
            f"-p {self.settings.port} -h 127.0.0.1 -k {self.socket_dir} "
            "-c unix_socket_permissions=0700"
        )
        started = self._run(
            self._bin("pg_ctl"), "start", "-w", "-t", "30", "-D", str(self.pgdata),
            "-l", str(self.log_file), "-o", options, check=False,
        )  # fmt: skip
        if started.returncode != 0:
            log = self.log_file.read_text()[-2000:] if self.log_file.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start:\n{started.stderr}\n{log}")
        if fresh:
            self._create_course_database()
            self.seed()
        return self

    def stop(self) -> None:
        if self.is_running():
            self._run(self._bin("pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(self.pgdata))

    def reset(self) -> LocalPostgres:
        """Stop, delete every row and table, start again and reseed."""
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        return self.start()

    def status(self) -> str:
        if not self.is_running():
            return f"stopped (data in {self.data_dir})"
        return f"running on {self.settings.describe()} (data in {self.data_dir})"

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- SQL ------------------------------------------------------------------------

    def _admin_connection(self):
        import psycopg

        return psycopg.connect(
            host=str(self.socket_dir), port=self.settings.port, user="postgres",
            dbname="postgres", autocommit=True,
        )  # fmt: skip

    def _create_course_database(self) -> None:
        from psycopg import sql

        s = self.settings
        with self._admin_connection() as conn:
            conn.execute(
                sql.SQL("create role {} login createdb password {}").format(
                    sql.Identifier(s.user), sql.Literal(s.password)
                )
            )
            conn.execute(
                sql.SQL("create database {} owner {}").format(
                    sql.Identifier(s.database), sql.Identifier(s.user)
                )
            )

    def connect(self):
        """A connection as the course user over TCP, as Sling and the lessons connect."""
        import psycopg

        return psycopg.connect(self.settings.conninfo(), autocommit=True)

    def seed(self) -> None:
        """Run the seed SQL: it drops and recreates the `data` schema, so it resets the rows."""
        with self.connect() as conn:
            conn.execute(SEED_SQL.read_text(encoding="utf-8"))


def _resolved(value: object) -> str:
    # A SlingConnectionResource keeps dg.EnvVar fields as {"env": NAME} until Sling runs.
    if isinstance(value, dict) and "env" in value:
        return os.environ.get(value["env"], "")
    return str(value)


def require_reachable(connection: object) -> None:
    """Fail with what to do when the Postgres a Sling connection names is not listening."""
    host, port = _resolved(connection.host), int(_resolved(connection.port) or 0)
    if not port_is_open(host, port):
        raise_unreachable(host, port)


def raise_unreachable(host: str, port: int) -> None:
    import dagster as dg

    raise dg.Failure(
        description=(
            f"Postgres is not reachable at {host}:{port}. Start the course database with "
            "`course postgres start` (or, with Docker, `docker compose -f "
            "dagster_and_etl_tests/docker-compose.yaml up -d`), check POSTGRES_HOST and "
            "POSTGRES_PORT, then run again. Nothing was replicated."
        )
    )
