"""Paths and settings, defined once for every lesson, test and notebook.

Every path is built from the repository root, so nothing depends on the
current directory. Values that a learner may want to change come from
environment variables (all listed in `.env.example`), read when they are
needed rather than at import time, so tests can point them elsewhere.

| variable          | default                          | what it is for                      |
| ----------------- | -------------------------------- | ----------------------------------- |
| DUCKDB_DATABASE   | data/staging/data.duckdb         | the DuckDB file the lessons load    |
| COURSE_SOURCE_DIR | data/source                      | where the file-import lessons read  |
| COURSE_SALES_DIR  | data/sales                       | the capstone's sales files          |
| COURSE_STAGING_DIR| data/staging                     | files written on the way to DuckDB  |
| COURSE_DLT_DIR    | data/staging/dlt_pipelines       | dlt's pipeline state                |
| DAGSTER_HOME      | .dagster_home                    | run history, cursors, partitions    |
| NASA_API_BASE_URL | https://api.nasa.gov             | the NeoWs API, or the local server  |

Relative values are resolved from the repository root.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"
STAGING_DIR = DATA_DIR / "staging"
LESSONS_DIR = PROJECT_ROOT / "lessons"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"

DEFAULT_DUCKDB_DATABASE = STAGING_DIR / "data.duckdb"
DEFAULT_SOURCE_DIR = DATA_DIR / "source"
DEFAULT_DAGSTER_HOME = PROJECT_ROOT / ".dagster_home"
DEFAULT_NASA_API_BASE_URL = "https://api.nasa.gov"


def env_example_defaults() -> dict[str, str]:
    """The non-empty defaults `.env.example` documents, as a dict."""
    defaults = {}
    for line in (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        name, _, value = line.partition("=")
        if name and not name.startswith("#") and value.strip():
            defaults[name.strip()] = value.strip()
    return defaults


def _path_from_env(variable: str, default: Path) -> Path:
    value = os.environ.get(variable, "").strip()
    if not value:
        return default
    path = Path(value).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


def duckdb_database() -> Path:
    """The DuckDB file every lesson writes to (`DUCKDB_DATABASE`)."""
    return _path_from_env("DUCKDB_DATABASE", DEFAULT_DUCKDB_DATABASE)


def source_dir() -> Path:
    """The folder the file-import lessons read CSV files from (`COURSE_SOURCE_DIR`)."""
    return _path_from_env("COURSE_SOURCE_DIR", DEFAULT_SOURCE_DIR)


def sales_dir() -> Path:
    """The capstone's data: products, reps, sales, and requests/ (`COURSE_SALES_DIR`)."""
    return _path_from_env("COURSE_SALES_DIR", DATA_DIR / "sales")


def staging_dir() -> Path:
    """Where assets write files on their way into DuckDB (`COURSE_STAGING_DIR`)."""
    return _path_from_env("COURSE_STAGING_DIR", STAGING_DIR)


def dlt_pipelines_dir() -> Path:
    """Where dlt keeps pipeline state, instead of your home folder (`COURSE_DLT_DIR`)."""
    return _path_from_env("COURSE_DLT_DIR", STAGING_DIR / "dlt_pipelines")


def nasa_api_base_url() -> str:
    """The NeoWs API's base URL: NASA's, or the local stand-in's (`NASA_API_BASE_URL`)."""
    value = os.environ.get("NASA_API_BASE_URL", "").strip()
    return value.rstrip("/") or DEFAULT_NASA_API_BASE_URL


def dagster_home() -> Path:
    """Where the Dagster instance keeps runs, cursors and partitions (`DAGSTER_HOME`)."""
    return _path_from_env("DAGSTER_HOME", DEFAULT_DAGSTER_HOME)
