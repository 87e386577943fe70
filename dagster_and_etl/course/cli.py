"""The `course` command: run the UI on your lessons, check your work, see where things are.

\b
course info                       where the course reads and writes, with the settings in force
course dev [N] [--solution] ...   the Dagster UI: every lesson, or lesson N (yours, or completed)
course check [N ...]              grade your lesson N (or every lesson you started)
course reset N                    put lesson N's starter files back in your workspace
course solution N                 take lesson N's completed code into your workspace folder
course solutions                  build the branches lesson-N-solution from your current commit
course diagram [N]                the Mermaid asset graph of lesson N (--write: into its page)
course nasa-server                a local stand-in for NASA's NeoWs API, for working offline
course postgres start             the course's Postgres without Docker (also status, stop, reset)
course s3 start                   a local S3 server with the course's bucket (also status, stop)
course instance [--solution]      lesson 10: the Dagster instance on Postgres, in DAGSTER_HOME
course serve [N ...] ...          lesson 10: code servers, webserver and daemon, as deployed
course lab ...                    JupyterLab on the notebooks, with this environment's kernel
course data generate              (re)write the course's source CSV files, or a large one
course bench [--dev] [--suite]    time lesson 2's import at scale (and the UI start, the suite)

Every setting is read from your shell, then .env, then .env.example.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import click

# Only light modules here: `course dev` hands over to `dg` without importing
# Dagster, so the UI starts as fast as `dg dev` itself. Commands that need
# Dagster import it when they run.
from dagster_and_etl.course import locations, settings
from dagster_and_etl.course.bench import bench


def _course_env() -> dict[str, str]:
    """The environment course commands start `dg`, pytest and Jupyter with.

    Every setting, from the shell, .env or .env.example, with absolute paths;
    DAGSTER_HOME holds the course's instance settings (dagster.yaml).
    """
    env = settings.environment()
    home = Path(env["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(settings.PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    return env


def _tool(name: str) -> str:
    """A console script of this environment (`dg`), even when its folder is not on PATH."""
    folder = Path(sys.executable).parent
    for candidate in (folder / name, folder / f"{name}.exe"):
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if not found:
        raise click.ClickException(
            f"`{name}` is not installed here. Run `python3 course.py dev` from the repository "
            "root: it sets up .venv/ and starts the UI from there."
        )
    return found


def _hand_over(command: list[str], env: dict[str, str], cwd: Path) -> None:
    """Replace this process with `command` (no extra Python process stays in between)."""
    click.echo("$ " + " ".join(command), err=True)
    if os.name == "nt":  # Windows has no exec that keeps the console: wait for it instead
        sys.exit(subprocess.call(command, cwd=cwd, env=env))
    os.chdir(cwd)
    os.execve(command[0], command, env)


@click.group(help=__doc__, context_settings={"max_content_width": 100})
def main() -> None:
    pass


@main.command()
def info() -> None:
    """Print where the course reads and writes, and the settings in force."""
    rows = {
        "repository": settings.PROJECT_ROOT,
        "source files (COURSE_SOURCE_DIR)": settings.source_dir(),
        "DuckDB database (DUCKDB_DATABASE)": settings.duckdb_database(),
        "Dagster home (DAGSTER_HOME)": settings.dagster_home(),
        "your .env": settings.ENV_FILE if settings.ENV_FILE.exists() else "none (defaults apply)",
        "lessons in your workspace": ", ".join(map(str, locations.workspace_lessons())),
        "lessons with completed code": ", ".join(map(str, locations.completed_lessons())),
        "plain `dg` at the root (COURSE_LESSON)": f"your lesson {locations.lesson_from_env()}",
    }
    width = max(map(len, rows))
    for name, value in rows.items():
        click.echo(f"{name:<{width}}  {value}")


def split_dev_arguments(args: tuple[str, ...]) -> tuple[int | None, list[str]]:
    """`course dev` arguments: an optional leading lesson number, then `dg dev` options."""
    if args and args[0].isdigit():
        return int(args[0]), list(args[1:])
    return None, list(args)


@main.command(
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
    add_help_option=True,
)
@click.option("--solution", is_flag=True, help="Serve the completed code instead of yours.")
@click.argument("args", nargs=-1, type=click.UNPROCESSED, metavar="[N] [DG_DEV_OPTIONS]...")
def dev(solution: bool, args: tuple[str, ...]) -> None:
    """Start the Dagster UI (http://127.0.0.1:3000) on your lessons.

    \b
    course dev                  every lesson of your workspace, one code location each
    course dev 3                your lesson 3 alone
    course dev 3 --solution     lesson 3's completed code
    course dev 3 -p 3100        any other option goes to `dg dev` (here: the port)

    Run history, sensor cursors and partitions are kept in DAGSTER_HOME
    (.dagster_home/ unless you set it), with the pools of dagster.yaml.
    """
    lesson, dg_args = split_dev_arguments(args)
    if "--solution" in dg_args:  # also accepted after the lesson number
        dg_args.remove("--solution")
        solution = True
    available = locations.completed_lessons() if solution else locations.workspace_lessons()
    try:
        lessons = [lesson] if lesson is not None else available
        workspace = locations.workspace_yaml(lessons, solution)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    env = _course_env()
    home = Path(env["DAGSTER_HOME"])
    label = "all" if lesson is None else f"lesson_{lesson}"
    workspace_file = home / f"workspace-{label}{'-completed' if solution else ''}.yaml"
    workspace_file.write_text(workspace, encoding="utf-8")
    what = "the completed code of" if solution else "your"
    which = f"lesson {lesson}" if lesson is not None else "lessons " + ", ".join(map(str, lessons))
    click.echo(f"Serving {what} {which}; DAGSTER_HOME={home}", err=True)
    # Started from DAGSTER_HOME, Dagster finds its dagster.yaml there and nowhere else.
    _hand_over([_tool("dg"), "dev", "-w", str(workspace_file), *dg_args], env, cwd=home)


@main.command()
@click.argument("lessons", type=int, nargs=-1)
@click.option(
    "--solution", is_flag=True, help="Grade the completed code instead of your workspace."
)
def check(lessons: tuple[int, ...], solution: bool) -> None:
    """Grade lessons LESSONS against your workspace and say what to reread for each failure.

    With no lesson number, checks every lesson you have started in the workspace.
    Exits with 0 only when every check passes.
    """
    from dagster_and_etl.course import grading, starters

    if not lessons:
        lessons = tuple(n for n in locations.workspace_lessons() if starters.is_started(n))
        if not lessons:
            click.echo("You have not started a lesson yet: name one, for example `course check 2`.")
            return
    target = "solution" if solution else "workspace"
    all_passed = True
    for lesson in lessons:
        if not grading.test_file(lesson).exists():
            raise click.ClickException(f"Lesson {lesson} has no tests.")
        checks = grading.run(lesson, target)
        click.echo(grading.report(lesson, checks))
        all_passed &= grading.passed(checks)
    sys.exit(0 if all_passed else 1)


@main.command()
@click.argument("lesson", type=int)
@click.option("--yes", is_flag=True, help="Do not ask first.")
def reset(lesson: int, yes: bool) -> None:
    """Put lesson LESSON's starter files back in your workspace (your changes are lost)."""
    from dagster_and_etl.course import starters

    folder = starters.lesson_folder(lesson)
    if not yes:
        click.confirm(f"Replace everything in {folder} with the starter files?", abort=True)
    try:
        changed = starters.reset(lesson)
    except (RuntimeError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    click.echo("\n".join(f"restored {name}" for name in changed) or "Already the starter files.")


@main.command("solution")
@click.argument("lesson", type=int)
@click.option("--yes", is_flag=True, help="Do not ask first.")
def solution_command(lesson: int, yes: bool) -> None:
    """Replace your lesson LESSON folder with its completed code (your other lessons stay).

    It takes the folder from the branch lesson-N-solution, which `course
    solutions` builds: the same as `git checkout lesson-N-solution -- <folder>`.
    """
    from dagster_and_etl.course import solutions, starters

    folder = starters.lesson_folder(lesson)
    if not yes:
        click.confirm(
            f"Replace everything in {folder} with lesson {lesson}'s solution?", abort=True
        )
    try:
        changed = solutions.take(lesson)
    except (RuntimeError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    click.echo("\n".join(f"took {name}" for name in changed) or "Already the solution.")
    click.echo(f"Grade it with `course check {lesson}`.")


@main.command("solutions")
@click.argument("lessons", type=int, nargs=-1)
def solutions_command(lessons: tuple[int, ...]) -> None:
    """Create or update the branches lesson-N-solution from your current commit.

    Each holds your commit with only your lesson N folder replaced by its
    completed code. Your current branch and its files are not touched.
    """
    from dagster_and_etl.course import solutions

    try:
        built = solutions.build_all(list(lessons) or None)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from error
    for lesson, commit in built.items():
        click.echo(f"{solutions.branch_name(lesson)}  {commit[:12]}")
    click.echo(
        "Take one lesson's solution with `course solution 3`, or with git: "
        f"`git checkout lesson-3-solution -- {locations.WORKSPACE_DIR.name}/lesson_3`."
    )


@main.command()
@click.argument("lessons", type=int, nargs=-1)
@click.option("--write", is_flag=True, help="Update the diagram in each lesson page.")
def diagram(lessons: tuple[int, ...], write: bool) -> None:
    """Print (or write into the lesson pages) the Mermaid asset graph of each lesson."""
    from dagster_and_etl.course import diagrams

    for lesson in lessons or locations.completed_lessons():
        if write:
            changed = diagrams.write(lesson)
            click.echo(f"lesson {lesson}: {'updated' if changed else 'unchanged'}")
        else:
            click.echo(diagrams.mermaid(locations.load_lesson(lesson, "solution")))


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("lab_args", nargs=-1, type=click.UNPROCESSED, metavar="[JUPYTER_LAB_OPTIONS]...")
def lab(lab_args: tuple[str, ...]) -> None:
    """Start JupyterLab in notebooks/ (http://127.0.0.1:8888); options go to `jupyter lab`."""
    command = [sys.executable, "-m", "jupyter", "lab", f"--notebook-dir={settings.NOTEBOOKS_DIR}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers often run as root; Jupyter refuses otherwise
    _hand_over([*command, *lab_args], _course_env(), cwd=settings.PROJECT_ROOT)


@main.command("nasa-server")
@click.option("--port", type=int, default=8765, show_default=True)
@click.option(
    "--api-key",
    default=lambda: settings.get("NASA_API_KEY", "COURSE_KEY"),
    show_default="NASA_API_KEY, else COURSE_KEY",
    help="The key the server accepts besides DEMO_KEY.",
)
def nasa_server(port: int, api_key: str) -> None:
    """Serve the local stand-in for NASA's NeoWs API (lesson 4 and 5, offline)."""
    from dagster_and_etl.course.nasa_server import FEED_PATH, NeoWsServer

    server = NeoWsServer(api_key=api_key, port=port)
    click.echo(f"NeoWs stand-in on {server.url}{FEED_PATH}")
    click.echo("Point the course at it (in .env, or your shell) and use one of its keys:")
    click.echo(f"    NASA_API_BASE_URL={server.url}")
    click.echo(f"    NASA_API_KEY={api_key}    (or DEMO_KEY)")
    server.serve_forever()


@main.group()
def postgres() -> None:
    """The course's Postgres for lessons 6 and 7, without Docker (data in data/postgres/)."""


@postgres.command("start")
def postgres_start() -> None:
    """Start it, creating and seeding the database the first time. Safe to run twice.

    It keeps running after this command ends, on POSTGRES_PORT (moved there if it ran
    on another port), until `course postgres stop`.
    """
    from dagster_and_etl.course.postgres import LocalPostgres

    server = LocalPostgres()
    try:
        server.start(detach=True)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from error
    click.echo(server.status())


@postgres.command("status")
def postgres_status() -> None:
    """Say whether it runs, and the port it really listens on."""
    from dagster_and_etl.course.postgres import LocalPostgres

    click.echo(LocalPostgres().status())


@postgres.command("stop")
def postgres_stop() -> None:
    """Stop it; the data stays for the next start."""
    from dagster_and_etl.course.postgres import LocalPostgres

    server = LocalPostgres()
    server.stop()
    click.echo(server.status())


@postgres.command("reset")
@click.option("--yes", is_flag=True, help="Do not ask before deleting the data.")
def postgres_reset(yes: bool) -> None:
    """Delete its data and start again from the seed SQL."""
    from dagster_and_etl.course.postgres import LocalPostgres

    server = LocalPostgres()
    if not yes:
        click.confirm(f"Delete everything in {server.data_dir} and reseed?", abort=True)
    try:
        server.reset(detach=True)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from error
    click.echo(server.status())


@main.command("instance")
@click.option("--solution", is_flag=True, help="Use the completed lesson's dagster.yaml.")
def instance_command(solution: bool) -> None:
    """Write DAGSTER_HOME/dagster.yaml from your lesson 10 dagster.yaml (lesson 10).

    It also creates the Dagster database (DAGSTER_POSTGRES_DB) on the course's
    Postgres, then opens the instance to prove the settings work.
    """
    from dagster_and_etl.course import instance
    from dagster_and_etl.course.postgres import PostgresSettings

    env = settings.environment()  # not _course_env(): no default dagster.yaml to back up
    home = Path(env["DAGSTER_HOME"])
    database = instance.dagster_database()
    try:
        created = instance.ensure_database(PostgresSettings.from_env(), database)
        backup = instance.write_instance(home, instance.instance_yaml_source(solution))
    except (RuntimeError, FileNotFoundError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{'created' if created else 'found'} the database {database}")
    if backup:
        click.echo(f"kept your earlier instance settings in {backup}")
    click.echo(f"wrote {home / 'dagster.yaml'}")
    os.environ.update(env)
    try:
        with instance.open_instance(home) as opened:
            rows = instance.describe(opened)
    except Exception as error:  # a wrong setting: say which, in Dagster's own words
        raise click.ClickException(f"Dagster cannot open this instance: {error}") from error
    width = max(map(len, rows))
    for name, value in rows.items():
        click.echo(f"  {name:<{width}}  {value}")


@main.command()
@click.argument("lessons", type=int, nargs=-1)
@click.option("--solution", is_flag=True, help="Serve the completed code of LESSONS.")
@click.option("--completed", type=int, multiple=True, help="Also serve lesson M's completed code.")
@click.option("-p", "--port", type=int, default=3000, show_default=True, help="The UI's port.")
def serve(lessons: tuple[int, ...], solution: bool, completed: tuple[int, ...], port: int) -> None:
    """Run your lessons as a deployment: code servers, webserver and daemon (lesson 10).

    \b
    course serve 10 --completed 3 --completed 8    your lesson 10, completed lessons 3 and 8
    course serve                                   every lesson of your workspace

    Schedules and sensors run by themselves here, on the instance in DAGSTER_HOME
    (`course instance` puts it on Postgres). Ctrl-C stops every process.
    """
    from dagster_and_etl.course import instance

    chosen = [(n, solution) for n in lessons or locations.workspace_lessons()]
    chosen += [(n, True) for n in completed]
    try:
        for lesson, completed_code in chosen:
            locations.location_module(lesson, completed_code)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    try:
        code = instance.serve(chosen, port=port, env=_course_env(), echo=click.echo)
    except RuntimeError as error:  # a code server that did not start; the others are stopped
        raise click.ClickException(str(error)) from error
    sys.exit(code)


@main.group()
def s3() -> None:
    """A local S3 server for the cloud-storage steps (lessons 2 and 3), seeded with data/source/."""


@s3.command("start")
@click.option("--port", type=int, help="Default: the port of AWS_ENDPOINT_URL_S3, else 9000.")
def s3_start(port: int | None) -> None:
    """Start it in the background with the course's bucket. Safe to run twice."""
    from dagster_and_etl.course import s3_server

    try:
        state = s3_server.start_background(port or s3_server.default_port())
    except RuntimeError as error:
        raise click.ClickException(str(error)) from error
    click.echo(s3_server.status())
    click.echo("Point the course at it (in .env, or your shell):")
    click.echo(s3_server.settings_hint(state["host"], state["port"]))
    click.echo("It keeps objects in memory: `course s3 stop` forgets them, a start reseeds.")


@s3.command("status")
def s3_status() -> None:
    """Say whether it runs, and the port it really listens on."""
    from dagster_and_etl.course import s3_server

    click.echo(s3_server.status())


@s3.command("stop")
def s3_stop() -> None:
    """Stop it (its objects are forgotten; the next start seeds the bucket again)."""
    from dagster_and_etl.course import s3_server

    stopped = s3_server.stop_background()
    click.echo("Stopped the course's S3 server." if stopped else s3_server.status())


@main.group()
def data() -> None:
    """The course's source data."""


@data.command()
@click.option("--date", "dates", multiple=True, help="A date (YYYY-MM-DD); repeat for more.")
@click.option("--rows", type=int, help="Rows per file (default: the course's own count per date).")
@click.option("--out", type=click.Path(file_okay=False), help="Folder to write to.")
def generate(dates: tuple[str, ...], rows: int | None, out: str | None) -> None:
    """Write the source CSV files: the course's three by default, or others.

    For the scale exercise: course data generate --date 2018-01-25 --rows 1000000
    """
    from dagster_and_etl.course import source_files

    folder = settings.resolve_path(out) if out else settings.source_dir()
    for date in dates or source_files.COURSE_DATES:
        try:
            path = source_files.generate_file(date, folder, rows=rows)
        except ValueError as error:
            raise click.BadParameter(f"{date!r} is not a YYYY-MM-DD date ({error})") from error
        click.echo(f"wrote {path}")


@data.command()
@click.option("--out", type=click.Path(file_okay=False), help="Folder to write to.")
def sales(out: str | None) -> None:
    """Write the capstone's sales files (products, reps, sales, a sample request)."""
    from dagster_and_etl.course import sales_data

    folder = settings.resolve_path(out) if out else settings.sales_dir()
    for path in sales_data.generate(folder):
        click.echo(f"wrote {path}")


# `course bench`: where learners wait, each figure against its reference (bench.py).
main.add_command(bench)


if __name__ == "__main__":
    main()
