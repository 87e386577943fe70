"""The `course` command: run the UI, check your work, see where things are.

course info              where the data, the database and the Dagster home are
course dev [N]           the Dagster UI on your workspace, or on lesson N's completed code
course check [N]         grade lesson N (or every lesson you started) against your workspace
course reset N           put lesson N's starter files back in your workspace
course solutions         build the branches lesson-N-solution from your current commit
course diagram [N]       the Mermaid asset graph of lesson N (--write: into its page)
course nasa-server       a local stand-in for NASA's NeoWs API, for working offline
course postgres start    the course's Postgres without Docker (also status, stop, reset)
course lab               JupyterLab on the notebooks, with this environment's kernel
course data generate     (re)write the course's source CSV files, or a large one
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import click

from dagster_and_etl.course import (
    diagrams,
    grading,
    locations,
    sales_data,
    settings,
    solutions,
    source_files,
    starters,
)
from dagster_and_etl.course.nasa_server import FEED_PATH, NeoWsServer
from dagster_and_etl.course.postgres import LocalPostgres


def _course_env(lesson: int | None = None) -> dict[str, str]:
    """The environment course commands run `dg`, pytest and Jupyter with.

    Variables you have not set come from .env, then from .env.example (settings.py).
    """
    env = settings.environment()
    home = settings.dagster_home()
    env["DAGSTER_HOME"] = str(home)  # absolute, as Dagster needs
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(Path(__file__).with_name("dagster.yaml"), home / "dagster.yaml")
    if lesson is not None:
        env["COURSE_LESSON"] = str(lesson)
    return env


def _tool(name: str) -> str:
    """A console script of this environment (`dg`), even when its folder is not on PATH."""
    beside_python = Path(sys.executable).parent / name
    found = str(beside_python) if beside_python.exists() else shutil.which(name)
    if not found:
        raise click.ClickException(
            f"`{name}` is not installed here. Run `python3 course.py dev` from the repository "
            "root: it sets up .venv/ and starts the UI from there."
        )
    return found


def _run(command: list[str], env: dict[str, str]) -> None:
    click.echo("$ " + " ".join(command), err=True)
    sys.exit(subprocess.call(command, cwd=settings.PROJECT_ROOT, env=env))


@click.group(help=__doc__)
def main() -> None:
    pass


@main.command()
def info() -> None:
    """Print where the course reads and writes."""
    rows = {
        "repository": settings.PROJECT_ROOT,
        "source files (COURSE_SOURCE_DIR)": settings.source_dir(),
        "DuckDB database (DUCKDB_DATABASE)": settings.duckdb_database(),
        "Dagster home (DAGSTER_HOME)": settings.dagster_home(),
        "lessons with completed code": ", ".join(map(str, locations.completed_lessons())),
    }
    width = max(map(len, rows))
    for name, value in rows.items():
        click.echo(f"{name:<{width}}  {value}")


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("lesson", type=int, required=False)
@click.argument("dg_args", nargs=-1, type=click.UNPROCESSED)
def dev(lesson: int | None, dg_args: tuple[str, ...]) -> None:
    """Start the Dagster UI (http://127.0.0.1:3000) on your workspace or on lesson LESSON.

    Run history, sensor cursors and partitions are kept in DAGSTER_HOME
    (.dagster_home/ unless you set it). Extra arguments go to `dg dev`.
    """
    if lesson is not None:
        locations.defs_package(lesson)  # a clear error for a lesson without code
    env = _course_env(lesson)
    what = f"lesson {lesson}'s completed code" if lesson else "your workspace"
    click.echo(f"Serving {what}; DAGSTER_HOME={env['DAGSTER_HOME']}", err=True)
    _run([_tool("dg"), "dev", *dg_args], env)


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
    if not lessons:
        lessons = tuple(n for n in locations.completed_lessons() if starters.is_started(n))
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
        all_passed &= bool(checks) and all(check.outcome != "failed" for check in checks)
    sys.exit(0 if all_passed else 1)


@main.command()
@click.argument("lesson", type=int)
@click.option("--yes", is_flag=True, help="Do not ask first.")
def reset(lesson: int, yes: bool) -> None:
    """Put lesson LESSON's starter files back in your workspace (your changes are lost)."""
    folder = starters.lesson_folder(lesson)
    if not yes:
        click.confirm(f"Replace everything in {folder} with the starter files?", abort=True)
    try:
        changed = starters.reset(lesson)
    except (RuntimeError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    click.echo("\n".join(f"restored {name}" for name in changed) or "Already the starter files.")


@main.command("solutions")
@click.argument("lessons", type=int, nargs=-1)
def solutions_command(lessons: tuple[int, ...]) -> None:
    """Create or update the branches lesson-N-solution from your current commit.

    Each holds your commit with the workspace replaced by lesson N's completed
    code. Your current branch and its files are not touched.
    """
    try:
        built = solutions.build_all(list(lessons) or None)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from error
    for lesson, commit in built.items():
        click.echo(f"{solutions.branch_name(lesson)}  {commit[:12]}")
    click.echo("Check one out with `git switch lesson-2-solution`, then `course check 2`.")


@main.command()
@click.argument("lessons", type=int, nargs=-1)
@click.option("--write", is_flag=True, help="Update the diagram in each lesson page.")
def diagram(lessons: tuple[int, ...], write: bool) -> None:
    """Print (or write into the lesson pages) the Mermaid asset graph of each lesson."""
    for lesson in lessons or locations.completed_lessons():
        if write:
            changed = diagrams.write(lesson)
            click.echo(f"lesson {lesson}: {'updated' if changed else 'unchanged'}")
        else:
            click.echo(diagrams.mermaid(locations.load_lesson(lesson, "solution")))


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("lab_args", nargs=-1, type=click.UNPROCESSED)
def lab(lab_args: tuple[str, ...]) -> None:
    """Start JupyterLab in notebooks/ (http://127.0.0.1:8888)."""
    command = [sys.executable, "-m", "jupyter", "lab", f"--notebook-dir={settings.NOTEBOOKS_DIR}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers often run as root; Jupyter refuses otherwise
    _run([*command, *lab_args], _course_env())


@main.command("nasa-server")
@click.option("--port", type=int, default=8765, show_default=True)
@click.option(
    "--api-key",
    envvar="NASA_API_KEY",
    default="COURSE_KEY",
    show_default=True,
    help="The key the server accepts besides DEMO_KEY (defaults to NASA_API_KEY).",
)
def nasa_server(port: int, api_key: str) -> None:
    """Serve the local stand-in for NASA's NeoWs API (lesson 4 and 5, offline)."""
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
    server = LocalPostgres()
    try:
        server.start(detach=True)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from error
    click.echo(server.status())


@postgres.command("status")
def postgres_status() -> None:
    """Say whether it runs, and the port it really listens on."""
    click.echo(LocalPostgres().status())


@postgres.command("stop")
def postgres_stop() -> None:
    """Stop it; the data stays for the next start."""
    server = LocalPostgres()
    server.stop()
    click.echo(server.status())


@postgres.command("reset")
@click.option("--yes", is_flag=True, help="Do not ask before deleting the data.")
def postgres_reset(yes: bool) -> None:
    """Delete its data and start again from the seed SQL."""
    server = LocalPostgres()
    if not yes:
        click.confirm(f"Delete everything in {server.data_dir} and reseed?", abort=True)
    try:
        server.reset(detach=True)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from error
    click.echo(server.status())


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
    folder = settings.PROJECT_ROOT / out if out else settings.source_dir()
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
    folder = settings.PROJECT_ROOT / out if out else settings.sales_dir()
    for path in sales_data.generate(folder):
        click.echo(f"wrote {path}")


if __name__ == "__main__":
    main()
