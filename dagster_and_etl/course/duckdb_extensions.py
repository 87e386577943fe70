"""DuckDB extensions installed from Python packages, so nothing is downloaded.

DuckDB installs an extension such as httpfs by downloading it from its
extensions site the first time it is needed. The `duckdb-ext-*` wheels
(`duckdb-ext-json`, `duckdb-ext-httpfs`, `duckdb-ext-aws`, on the same version
line as `duckdb`) ship those files in a folder laid out like that site, so
`INSTALL httpfs FROM '<folder>'` installs it offline, once, into DuckDB's
usual extension folder (~/.duckdb/extensions).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb


class ExtensionMissing(RuntimeError):
    """An extension that is neither installed nor shipped by an installed wheel."""


def extensions_repository() -> Path | None:
    """The folder the duckdb-ext-* wheels install extensions into (a DuckDB repository)."""
    spec = importlib.util.find_spec("duckdb_ext")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "extensions"
    return folder if folder.is_dir() else None


def load_extensions(conn: duckdb.DuckDBPyConnection, *names: str) -> None:
    """Load each extension on `conn`, installing it from the wheels' folder if needed."""
    for name in names:
        try:
            conn.execute(f"load {name}")
            continue
        except duckdb.Error:
            pass  # not installed yet
        repository = extensions_repository()
        if repository is None or not any(repository.rglob(f"{name}.duckdb_extension")):
            raise ExtensionMissing(
                f"DuckDB's {name} extension is not installed, and no duckdb-ext-{name} package "
                f"ships it. Install the course's packages again (`pip install -r "
                f"requirements.txt`), or, with internet, run INSTALL {name} in DuckDB once."
            )
        conn.execute(f"install {name} from '{repository.as_posix()}'")
        conn.execute(f"load {name}")
