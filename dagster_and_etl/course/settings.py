"""Settings: one loader for every course command, `dg`, test and notebook.

A setting's value comes from, in this order:
1. the environment (your shell, or what a test sets);
2. `.env` in the repository root, if you made one (`cp .env.example .env`);
3. the default documented in `.env.example`.

Relative paths are resolved from the repository root, never from the current
directory, so `DUCKDB_DATABASE=data/staging/data.duckdb` means the same file
wherever you run a command. Values are read when they are needed rather than
at import time, so tests can point them elsewhere.

`apply_to_environ()` (called when the `dagster_and_etl` package is imported)
copies the settings you have not exported into `os.environ`, with paths made
absolute. That is what lets `dg.EnvVar("POSTGRES_PORT")` in a lesson, and
`env.DUCKDB_DATABASE` in component YAML, see the same values as the
`course` commands.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"
STAGING_DIR = DATA_DIR / "staging"
LESSONS_DIR = PROJECT_ROOT / "lessons"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
ENV_FILE = PROJECT_ROOT / ".env"

DEFAULT_DUCKDB_DATABASE = STAGING_DIR / "data.duckdb"
DEFAULT_SOURCE_DIR = DATA_DIR / "source"
DEFAULT_DAGSTER_HOME = PROJECT_ROOT / ".dagster_home"
DEFAULT_NASA_API_BASE_URL = "https://api.nasa.gov"

# Settings that name a file or folder: relative values are taken from the repository root.
PATH_SETTINGS = (
    "DUCKDB_DATABASE",
    "COURSE_SOURCE_DIR",
    "COURSE_SALES_DIR",
    "COURSE_STAGING_DIR",
    "COURSE_DLT_DIR",
    "DAGSTER_HOME",
)


def read_env_file(path: Path) -> dict[str, str]:
    """`NAME=value` lines of a .env-style file; comments, blank lines and empty values skipped."""
    if not path.is_file():
        return {}
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.partition("=")
        name = name.removeprefix("export ").strip()
        value = value.split(" #", 1)[0].strip().strip("\"'")
        if name and value:
            values[name] = value
    return values


@lru_cache(maxsize=1)
def env_example_defaults() -> dict[str, str]:
    """The non-empty defaults `.env.example` documents."""
    return read_env_file(ENV_EXAMPLE)


def dotenv_values() -> dict[str, str]:
    """What your `.env` sets (read each time: you may edit it while a session runs)."""
    return read_env_file(ENV_FILE)


def resolve_path(value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


def get(name: str, default: str = "") -> str:
    """A setting: the environment, then `.env`, then `.env.example`, then `default`."""
    for source in (os.environ, dotenv_values(), env_example_defaults()):
        value = source.get(name, "").strip()
        if value:
            return value
    return default


def environment() -> dict[str, str]:
    """Every setting as environment variables, for a command the course starts.

    The current environment wins, then `.env`, then `.env.example`; path
    settings are absolute (Dagster, for one, refuses a relative DAGSTER_HOME).
    """
    merged = {**env_example_defaults(), **dotenv_values()}
    merged.update({name: value for name, value in os.environ.items() if value.strip()})
    for name in PATH_SETTINGS:
        if merged.get(name, "").strip():
            merged[name] = str(resolve_path(merged[name]))
    merged.setdefault("DAGSTER_HOME", str(DEFAULT_DAGSTER_HOME))
    return merged


def apply_to_environ() -> None:
    """Fill in os.environ from `.env` and `.env.example` (what is exported stays as it is,
    except that relative paths become absolute)."""
    for name, value in environment().items():
        if name == "DAGSTER_HOME" and not os.environ.get(name, "").strip():
            continue  # an unset DAGSTER_HOME means "a temporary instance", leave that choice
        if os.environ.get(name) != value:
            os.environ[name] = value


def _path(name: str, default: Path) -> Path:
    value = get(name)
    return resolve_path(value) if value else default


def duckdb_database() -> Path:
    """The DuckDB file every lesson writes to (`DUCKDB_DATABASE`)."""
    return _path("DUCKDB_DATABASE", DEFAULT_DUCKDB_DATABASE)


def source_dir() -> Path:
    """The folder the file-import lessons read CSV files from (`COURSE_SOURCE_DIR`)."""
    return _path("COURSE_SOURCE_DIR", DEFAULT_SOURCE_DIR)


def sales_dir() -> Path:
    """The capstone's data: products, reps, sales, and requests/ (`COURSE_SALES_DIR`)."""
    return _path("COURSE_SALES_DIR", DATA_DIR / "sales")


def staging_dir() -> Path:
    """Where assets write files on their way into DuckDB (`COURSE_STAGING_DIR`)."""
    return _path("COURSE_STAGING_DIR", STAGING_DIR)


def dlt_pipelines_dir() -> Path:
    """Where dlt keeps pipeline state, instead of your home folder (`COURSE_DLT_DIR`)."""
    return _path("COURSE_DLT_DIR", STAGING_DIR / "dlt_pipelines")


def nasa_api_base_url() -> str:
    """The NeoWs API's base URL: NASA's, or the local stand-in's (`NASA_API_BASE_URL`)."""
    return get("NASA_API_BASE_URL").rstrip("/") or DEFAULT_NASA_API_BASE_URL


def dagster_home() -> Path:
    """Where the Dagster instance keeps runs, cursors and partitions (`DAGSTER_HOME`)."""
    return _path("DAGSTER_HOME", DEFAULT_DAGSTER_HOME)
