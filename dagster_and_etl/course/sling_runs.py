"""Sling runs with a time limit, on their own, and with errors a learner can act on.

dagster-sling starts the Sling binary and waits for it. Out of the box:

- nothing limits how long it waits: a Sling run stuck on a lock waits forever;
- when the run is stopped, the DuckDB CLI that Sling started can be left behind;
- every run shares Sling's home folder (`~/.sling`, with a small SQLite
  database), so two runs at once share state;
- a failure arrives as Sling's terminal output, colour codes included, with
  its hint about `sslmode` first whatever the cause.

Sling 1.4.11's DuckDB driver can also deadlock on a busy machine: Sling waits
for the result of a query that the DuckDB CLI, waiting on its input, never
received. A second attempt gets through, so after a time-out the resource
runs the replication once more when that is safe.

`CourseSlingResource` is dagster-sling's `SlingResource` with those fixed,
and `CourseSlingComponent` is its `SlingReplicationCollectionComponent` using
that resource, after checking that Postgres is reachable. Both behave like the
originals in every other way: same replication files, same asset keys, same
metadata.
"""

import dataclasses
import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
import psutil
from dagster._core.definitions.metadata import TableMetadataSet  # as dagster-sling does
from dagster_sling import SlingReplicationCollectionComponent, SlingResource
from dagster_sling.asset_decorator import get_streams_from_replication
from pydantic import Field

from dagster_and_etl.course.postgres import require_reachable

# Generous: the course's replications take seconds. A run that has not
# finished by then is waiting on something that will not come (see
# `retry_after_timeout` below for the one case where trying again helps).
DEFAULT_TIMEOUT_SECONDS = 120.0
GRACE_SECONDS = 1.0  # between asking Sling to stop and killing it

ANSI_CODE = re.compile(r"\x1B(?:[@-Z\\-_]|\[[0-?]*[ -/]*[@-~])")
LOG_PREFIX = re.compile(
    r"^(?:\d{1,2}:\d{2}[AP]M|\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})\s+(?:INF|WRN|ERR|DBG|TRC)\s+"
)


def clean_line(line: str) -> str:
    """One line of Sling's output without colour codes or its time-and-level prefix."""
    return LOG_PREFIX.sub("", ANSI_CODE.sub("", line)).rstrip()


# -- running the binary ----------------------------------------------------------


@dataclass
class SlingRun:
    """What one run of the Sling binary did."""

    what: str
    output: list[str]
    returncode: int | None
    timed_out: bool
    timeout_seconds: float
    last_line: str = ""  # the last thing Sling said before it was stopped
    attempts: int = 1  # how many runs ran out of time, this one included


class SlingRunError(Exception):
    """A Sling run that failed or ran out of time; `failure()` explains it to a learner."""

    def __init__(self, run: SlingRun):
        super().__init__(explain(run))
        self.run = run

    def failure(self) -> dg.Failure:
        return dg.Failure(
            description=explain(self.run),
            metadata={"sling_output": dg.MetadataValue.text("\n".join(self.run.output[-40:]))},
        )


@contextmanager
def private_sling_home() -> Iterator[Path]:
    """A folder of its own for one Sling run: its home, its temporary files, its config."""
    with tempfile.TemporaryDirectory(prefix="course-sling-", ignore_cleanup_errors=True) as home:
        yield Path(home)


def _sling_binary() -> str:
    import sling  # after sling_offline.prepare(), which the package import has run

    return sling.SLING_BIN


def stop_process_tree(process: subprocess.Popen, grace: float = GRACE_SECONDS) -> None:
    """Stop `process` and everything it started: politely, then by force after `grace` s.

    Sling runs in a process group of its own (POSIX), so the group catches even
    a DuckDB CLI whose parent has already exited.
    """
    family: list[psutil.Process] = []
    if process.poll() is None:  # still ours: its pid cannot have been reused
        with suppress(psutil.Error):
            parent = psutil.Process(process.pid)
            family = [parent, *parent.children(recursive=True)]
    for member in family:
        with suppress(psutil.Error):
            member.terminate()
    if os.name == "posix":
        with suppress(OSError):
            os.killpg(process.pid, signal.SIGTERM)
    _, alive = psutil.wait_procs(family, timeout=grace) if family else ([], [])
    for member in alive:
        with suppress(psutil.Error):
            member.kill()
    if os.name == "posix":
        with suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)


def run_sling(
    args: Sequence[str],
    *,
    what: str,
    home: Path,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    env: dict[str, str] | None = None,
    on_line: Callable[[str], None] | None = None,
    json_output: bool = False,
) -> list[str]:
    """Run the Sling binary with `args` and return its output lines, cleaned.

    Sling gets `home` as its home and temporary folder, no standard input, and
    `timeout_seconds` to finish; after that it is stopped with every process it
    started. A non-zero exit or the time running out raises `SlingRunError`.
    With `json_output`, only standard output is returned (Sling logs to
    standard error), for commands whose output is parsed.
    """
    run_env = {
        **(os.environ if env is None else env),
        "SLING_HOME_DIR": str(home),
        "SLING_TEMP_DIR": str(home),
    }
    if json_output:
        run_env["SLING_OUTPUT"] = "json"
    group = {"start_new_session": True} if os.name == "posix" else {}
    if os.name == "nt":
        group = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    with open(home / "sling.stderr", "wb") as stderr:
        process = subprocess.Popen(
            [_sling_binary(), *args],
            stdin=subprocess.DEVNULL,  # nothing Sling starts can wait on a terminal
            stdout=subprocess.PIPE,
            stderr=stderr if json_output else subprocess.STDOUT,
            env=run_env,
            **group,
        )
        lines: list[str] = []
        expired = threading.Event()
        said_before_expiry: list[str] = []

        def expire() -> None:
            said_before_expiry.extend(line for line in lines if line.strip())
            expired.set()
            stop_process_tree(process)

        watchdog = threading.Timer(timeout_seconds, expire)
        watchdog.daemon = True
        watchdog.start()
        try:
            assert process.stdout is not None
            for raw in process.stdout:
                line = (
                    raw.decode("utf-8", errors="replace")
                    if json_output
                    else clean_line(raw.decode("utf-8", errors="replace"))
                )
                lines.append(line)
                if on_line and line:
                    on_line(line)
            process.wait()
        finally:
            watchdog.cancel()
            # On success this finds nothing; after an error or an interruption (a
            # run terminated from the UI) it stops Sling and the DuckDB CLI.
            stop_process_tree(process)
            if process.stdout is not None:
                process.stdout.close()
    errors = (home / "sling.stderr").read_text(encoding="utf-8", errors="replace")
    if expired.is_set() or process.returncode != 0:
        output = lines + [clean_line(line) for line in errors.splitlines()]
        last = said_before_expiry[-1] if said_before_expiry else ""
        raise SlingRunError(
            SlingRun(what, output, process.returncode, expired.is_set(), timeout_seconds, last)
        )
    return lines


# -- explaining a failure --------------------------------------------------------

SLING_BOILERPLATE = (
    "fatal:",
    "failure running replication",
    "could not connect to database",  # followed by Sling's sslmode hint, whatever the cause
    "execution failed",
    "Sling Replication",
    "Sling CLI |",
    "For query =>",
    "Failed to execute SQL",
)


def _cause_lines(output: list[str]) -> list[str]:
    """The lines of Sling's output that say what went wrong, each once, in order."""
    output = [clean_line(line) for line in output]
    start = next((i for i, line in enumerate(output) if line.startswith("fatal:")), None)
    candidates = output[start:] if start is not None else output[-10:]
    seen: list[str] = []
    for line in candidates:
        text = line.strip().removeprefix("~ ").strip()
        if not text or text.startswith("---") or text.startswith(SLING_BOILERPLATE):
            continue
        if text not in seen:
            seen.append(text)
    return seen


def _diagnose(causes: str) -> tuple[str, str] | None:
    """A known cause, as (what happened, what to do), or None."""
    if match := re.search(r'password authentication failed for user "([^"]*)"', causes):
        return (
            f'Postgres refused the login of user "{match[1]}": the password (or the user) '
            "is wrong.",
            "Check POSTGRES_USER and POSTGRES_PASSWORD (your shell or .env; the course's "
            "values are in .env.example), then run again.",
        )
    if match := re.search(r'role "([^"]*)" does not exist', causes):
        return (
            f'Postgres has no user "{match[1]}".',
            "Check POSTGRES_USER and POSTGRES_PASSWORD (your shell or .env; the course's "
            "values are in .env.example), then run again.",
        )
    if match := re.search(r'database "([^"]*)" does not exist', causes):
        return (
            f'Postgres has no database "{match[1]}".',
            "Check POSTGRES_DB, or create the course database with `course postgres reset`.",
        )
    if match := re.search(r"dial tcp (\S+?):(\d+): connect: connection refused", causes):
        return (
            f"Postgres refused the connection at {match[1]}:{match[2]}: nothing is listening "
            "on that port.",
            "Start the course database with `course postgres start` (it listens on "
            f"POSTGRES_PORT, here {match[2]}), or point POSTGRES_HOST and POSTGRES_PORT at "
            "your server, then run again.",
        )
    if match := re.search(r"lookup (\S+).*no such host", causes):
        return (
            f"The host name {match[1]} is unknown.",
            "Check POSTGRES_HOST (localhost for the course database), then run again.",
        )
    if match := re.search(
        r'Could not set lock on file "([^"]+)": Conflicting lock is held in (\S+) \(PID (\d+)\)',
        causes,
    ):
        program = Path(match[2]).name
        return (
            f"Another process ({program}, PID {match[3]}) has the DuckDB file {match[1]} open, "
            "and DuckDB allows one writer at a time.",
            "Close it (`.quit` a duckdb shell, close a notebook's connection, or wait for the "
            "other run), then run again.",
        )
    return None


def explain(run: SlingRun) -> str:
    """What a learner needs to know about a failed Sling run: the cause first, then what to do."""
    if run.timed_out:
        last = run.last_line.strip()
        tries = "" if run.attempts == 1 else f" on any of {run.attempts} attempts"
        return (
            f"Sling did not finish {run.what} within {run.timeout_seconds:g} seconds{tries}, "
            "so the course stopped it and every process it had started."
            + (f' Its last line was: "{last}".' if last else "")
            + " It was waiting on something: a lock in Postgres (a long transaction, or a "
            "session left open after `lock table`), a server that stopped answering, or, on a "
            "busy machine, Sling's DuckDB driver waiting on itself. Run again once that is "
            "cleared; if the copy is simply big, raise `timeout_seconds` on the Sling resource."
        )
    causes = _cause_lines(run.output)
    known = _diagnose("\n".join(causes))
    if known:
        cause, advice = known
    else:
        cause = causes[0] if causes else f"Sling exited with code {run.returncode}."
        advice = "Sling's last lines are in this failure's metadata (sling_output)."
    return f"{cause} {advice} (Sling failed while {run.what}.)"


# -- the resource and the component ----------------------------------------------

# Modes in which running a replication twice leaves what running it once leaves.
REPEATABLE_MODES = {"full-refresh", "incremental", "truncate", "backfill"}


def _describe(replication_config: dict[str, Any]) -> str:
    streams = ", ".join(replication_config.get("streams") or {}) or "no streams"
    source, target = replication_config.get("source"), replication_config.get("target")
    return f"replicating {source} to {target} ({streams})"


def _repeatable(replication_config: dict[str, Any]) -> bool:
    default = (replication_config.get("defaults") or {}).get("mode", "full-refresh")
    modes = {
        (config or {}).get("mode", default)
        for config in (replication_config.get("streams") or {}).values()
    }
    return modes <= REPEATABLE_MODES


def require_connections(replication_config: dict[str, Any], env: dict[str, str]) -> None:
    """Fail in words when the replication's source or target names no connection.

    Sling finds a connection by its name among environment variables (dagster-sling
    sets one per connection it is given); without it, Sling's own error names the
    first stream it could not prepare, not the connection.
    """
    ends = {"source": replication_config.get("source"), "target": replication_config.get("target")}
    missing = {end: name for end, name in ends.items() if name and name not in env}
    if missing:
        named = ", ".join(f"{end} {name}" for end, name in missing.items())
        raise dg.Failure(
            description=(
                f"The replication's {named} is not a connection Sling was given. Define "
                "each connection the replication names: in the Sling resource's "
                "connections (lesson 6) or under attributes: connections: in defs.yaml "
                "(lesson 7), with the same name."
            )
        )


class CourseSlingResource(SlingResource):
    """dagster-sling's `SlingResource`, with a time limit, a private Sling home per run,
    and failures that name the cause and what to do."""

    timeout_seconds: float = Field(
        default=DEFAULT_TIMEOUT_SECONDS,
        description="How long one Sling run may take before the course stops it.",
    )
    retry_after_timeout: bool = Field(
        default=True,
        description=(
            "Run Sling once more after it runs out of time, when that is safe (every "
            "stream's mode can be repeated; not snapshot). Sling 1.4's DuckDB driver can "
            "deadlock on a busy machine, and a second attempt gets through."
        ),
    )

    def _run(
        self,
        args: Callable[[Path], list[str]],
        *,
        what: str,
        repeatable: bool,
        **kwargs: Any,
    ) -> list[str]:
        """Run Sling (arguments built for each attempt's private home) within the time limit."""
        attempts = 2 if repeatable and self.retry_after_timeout else 1
        for attempt in range(1, attempts + 1):
            with private_sling_home() as home:
                try:
                    return run_sling(
                        args(home),
                        what=what,
                        home=home,
                        timeout_seconds=self.timeout_seconds,
                        **kwargs,
                    )
                except SlingRunError as error:
                    if error.run.timed_out and attempt < attempts:
                        dg.get_dagster_logger().warning(f"{explain(error.run)} Trying once more.")
                        continue
                    if error.run.timed_out:
                        error.run.attempts = attempt
                    elif _diagnose("\n".join(error.run.output)) is None:
                        error.run.output.extend(self._duckdb_lock_holders())
                    raise error.failure() from None
        raise AssertionError("unreachable")

    def _duckdb_lock_holders(self) -> list[str]:
        """What the DuckDB CLI says about each DuckDB target another process has open.

        When the CLI Sling starts cannot open its file, Sling sometimes reports only
        that it could not write to the CLI ("Failed to write to stdin"). Asking the
        CLI ourselves, read-only, names the process that holds the file.
        """
        from dagster_and_etl.course.sling_offline import duckdb_cli

        cli = duckdb_cli()
        found: list[str] = []
        for settings in self.prepare_environment().values():
            connection = json.loads(settings)
            if cli is None or str(connection.get("type")).lower() != "duckdb":
                continue
            instance = connection.get("instance") or ""
            if not instance or not Path(instance).exists():
                continue
            with suppress(subprocess.SubprocessError, OSError):
                probe = subprocess.run(
                    [str(cli), "-readonly", instance, "-c", "select 1"],
                    capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL,
                )  # fmt: skip
                if "Could not set lock" in probe.stderr:
                    found.extend(probe.stderr.strip().splitlines())
        return found

    def _sling_environment(self) -> dict[str, str]:
        """This process's environment plus the connections, for Sling alone.

        dagster-sling puts the connections into os.environ for the length of a
        replication; handing them to Sling directly keeps two replications in one
        process (two threads, a notebook) from reading each other's.
        """
        return {**os.environ, **self.prepare_environment()}

    def _replicate(
        self,
        *,
        context: dg.OpExecutionContext | dg.AssetExecutionContext,
        replication_config: dict[str, Any],
        dagster_sling_translator: Any,
        debug: bool,
        stream: bool = False,
    ) -> Iterator[dg.MaterializeResult | dg.AssetMaterialization]:
        """dagster-sling's replication, with Sling's own environment. `stream` changes
        nothing here: run_sling logs Sling's lines as they come either way."""
        env = self._sling_environment()
        require_connections(replication_config, env)
        yield from self._batch_sling_replicate(
            context=context,
            replication_config=replication_config,
            dagster_sling_translator=dagster_sling_translator,
            env=env,
            debug=debug,
        )

    def run_sling_cli(self, args: Sequence[str], force_json: bool = False) -> str:
        """Sling's CLI with `args` (dagster-sling uses it for column and row-count metadata)."""
        lines = self._run(
            lambda home: list(args),
            what=f"running `sling {' '.join(args[:2])}`",
            repeatable=True,  # metadata queries only read
            env=self._sling_environment(),
            json_output=force_json,
        )
        return "".join(lines) if force_json else "\n".join(lines)

    def _batch_sling_replicate(
        self,
        context: dg.OpExecutionContext | dg.AssetExecutionContext,
        replication_config: dict[str, Any],
        dagster_sling_translator: Any,
        env: dict,
        debug: bool,
    ) -> Iterator[dg.MaterializeResult | dg.AssetMaterialization]:
        """dagster-sling's batch replication, with the Sling binary run by `run_sling`."""
        import sling

        context_streams = self._get_replication_streams_for_context(context)
        if context_streams:
            replication_config.update({"streams": context_streams})
        stream_definitions = get_streams_from_replication(replication_config)
        destination_name = replication_config.get("target")

        def arguments(home: Path) -> list[str]:
            config_file = home / "replication.json"
            config_file.write_text(
                json.dumps(replication_config, cls=sling.JsonEncoder), encoding="utf-8"
            )
            return ["run", *(["-d"] if debug else []), "-r", str(config_file)]

        start_time = time.time()
        lines = self._run(
            arguments,
            what=_describe(replication_config),
            repeatable=_repeatable(replication_config),
            env=env,
            on_line=dg.get_dagster_logger().debug,
        )
        end_time = time.time()
        self._stdout.extend(lines)  # dagster-sling finds each stream's table here

        for stream_definition in stream_definitions:
            asset_key = dagster_sling_translator.get_asset_spec(stream_definition).key
            object_key = (stream_definition.get("config") or {}).get("object")
            destination_stream_name = object_key or stream_definition["name"]
            table_name = None
            if destination_name and destination_stream_name:
                table_name = ".".join([destination_name, destination_stream_name])
            metadata = {
                "elapsed_time": end_time - start_time,
                "stream_name": stream_definition["name"],
                **TableMetadataSet(table_name=table_name, storage_kind=destination_name),
            }
            if context.has_assets_def:
                yield dg.MaterializeResult(asset_key=asset_key, metadata=metadata)
            else:
                yield dg.AssetMaterialization(asset_key=asset_key, metadata=metadata)


@dataclass
class CourseSlingComponent(SlingReplicationCollectionComponent):
    """dagster-sling's `SlingReplicationCollectionComponent`, running Sling through
    `CourseSlingResource` after checking that each Postgres connection is reachable,
    and putting each replication's step in the pool its `op: pool:` names."""

    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    @cached_property
    def sling_resource(self) -> SlingResource:
        return CourseSlingResource(
            connections=self.connections, timeout_seconds=self.timeout_seconds
        )

    def build_asset(self, context, replication_spec_model):
        # dagster-sling 0.29 reads `op: pool:` from defs.yaml but never passes it on to
        # the op. A step's pool is also its `dagster/concurrency_key` tag, so pass it so.
        op = replication_spec_model.op
        if op is not None and op.pool:
            tags = {**(op.tags or {}), "dagster/concurrency_key": op.pool}
            op = op.model_copy(update={"tags": tags})
            replication_spec_model = dataclasses.replace(replication_spec_model, op=op)
        return super().build_asset(context, replication_spec_model)

    def execute(self, context, sling, replication_spec_model):
        for connection in sling.connections:
            if connection.type == "postgres":
                require_reachable(connection)
        yield from super().execute(context, sling, replication_spec_model)
