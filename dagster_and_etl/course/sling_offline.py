"""Make Sling, and its DuckDB target, work without the internet.

Out of the box, the `sling` package downloads its Go binary on first import,
and Sling downloads the DuckDB command-line tool and its json extension before
writing to DuckDB. The course installs all three from Python packages instead:

- the binary from the platform wheel (`sling-linux-amd64` and friends), through
  the SLING_BINARY variable;
- the DuckDB CLI from `duckdb-cli`, the same version as the `duckdb` package so
  both read the same file, through DUCKDB_PATH and DUCKDB_VERSION;
- the json extension from `duckdb-ext-json`, installed once into DuckDB's
  extension folder.

`prepare()` does this and is called by the Sling lessons before `dagster_sling`
is imported. Variables you have set yourself are left alone, so a plain
`pip install sling` with internet works as well.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import platform
import subprocess
import sys
from pathlib import Path

import duckdb

from dagster_and_etl.course.duckdb_extensions import extensions_repository

SLING_WHEELS = {
    ("Linux", "x86_64"): "sling_linux_amd64",
    ("Linux", "aarch64"): "sling_linux_arm64",
    ("Darwin", "arm64"): "sling_mac_arm64",
    ("Darwin", "x86_64"): "sling_mac_amd64",
    ("Windows", "AMD64"): "sling_windows_amd64",
}


def sling_binary() -> Path | None:
    """The Sling binary shipped by this platform's wheel, if it is installed."""
    module_name = SLING_WHEELS.get((platform.system(), platform.machine()))
    if not module_name or importlib.util.find_spec(module_name) is None:
        return None
    path = Path(importlib.import_module(module_name).SLING_BIN)
    return path if path.is_file() else None


def duckdb_cli() -> Path | None:
    """The DuckDB CLI installed by the `duckdb-cli` wheel next to this Python."""
    name = "duckdb.exe" if platform.system() == "Windows" else "duckdb"
    for folder in (Path(sys.executable).parent, Path(sys.prefix) / "bin"):
        if (folder / name).is_file():
            return folder / name
    return None


def cli_version(cli: Path) -> str:
    """The version the DuckDB CLI reports, like 1.4.4 (from "v1.4.4 (Andium) 6ddac802ff")."""
    output = subprocess.run([str(cli), "--version"], capture_output=True, text=True, check=True)
    return output.stdout.split()[0].lstrip("v")


def json_extension_installed() -> bool:
    """Whether DuckDB's extension folder already has json for this version and platform."""
    with duckdb.connect() as conn:
        platform_name = conn.execute("pragma platform").fetchone()[0]
    folder = Path.home() / ".duckdb" / "extensions" / f"v{duckdb.__version__}" / platform_name
    return (folder / "json.duckdb_extension").is_file()


def install_json_extension(cli: Path) -> None:
    """Install json from the wheel's local repository, so the CLI never downloads it."""
    repository = extensions_repository()
    if repository is None or json_extension_installed():
        return
    statement = f"INSTALL json FROM '{repository.as_posix()}';"
    subprocess.run([str(cli), ":memory:", "-c", statement], capture_output=True, check=True)


def prepare() -> dict[str, str]:
    """Point Sling at the packaged binaries (unless already set); return what was set."""
    chosen: dict[str, str] = {}
    binary = sling_binary()
    if binary and "SLING_BINARY" not in os.environ:
        chosen["SLING_BINARY"] = str(binary)
    cli = duckdb_cli()
    if cli and "DUCKDB_PATH" not in os.environ:
        chosen["DUCKDB_PATH"] = str(cli)
        chosen["DUCKDB_VERSION"] = duckdb.__version__
        install_json_extension(cli)
    os.environ.update(chosen)
    return chosen
