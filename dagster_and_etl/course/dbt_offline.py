"""dbt for lesson 9, offline and found wherever the course runs.

dagster-dbt runs dbt as a command, `dbt`, looked up on PATH. A learner who runs
`.venv/bin/python -m pytest` or a notebook kernel without activating the
environment has no `dbt` on PATH, so the folder of this Python's scripts is put
first. dbt's anonymous usage events are switched off too: the course sends
nothing anywhere, and dbt needs no network otherwise (the lesson's project has
no packages to `dbt deps`).
"""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path


def scripts_dir() -> Path:
    """Where this Python environment installs commands such as `dbt`."""
    return Path(sysconfig.get_path("scripts"))


def prepare() -> None:
    """Put this environment's `dbt` first on PATH; switch off dbt's usage events."""
    # PATH is the system's search path, not a course setting (.env.example omits it).
    scripts = str(scripts_dir())
    path = os.getenv("PATH", "")
    if scripts not in path.split(os.pathsep):
        os.environ.update(PATH=os.pathsep.join([scripts, path]) if path else scripts)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


# What `dbt parse` reads: models, tests, seeds, macros, their YAML, and the profile.
PARSED_SUFFIXES = {".sql", ".yml", ".yaml", ".csv", ".md", ".jinja"}


def manifest_is_current(project) -> bool:
    """Whether `project`'s target/manifest.json is newer than every file dbt parses.

    `project` is a dagster_dbt.DbtProject. Folders dbt writes (target/, logs/,
    dbt_packages/) do not count.
    """
    manifest = Path(project.manifest_path)
    if not manifest.is_file():
        return False
    built = manifest.stat().st_mtime
    project_dir = Path(project.project_dir)
    written = {manifest.parent, project_dir / "logs", project_dir / "dbt_packages"}
    for folder, subfolders, files in os.walk(project_dir):
        # Not into what dbt writes: target/ grows with every run's compiled SQL.
        subfolders[:] = [name for name in subfolders if Path(folder, name) not in written]
        for name in files:
            path = Path(folder, name)
            if path.suffix in PARSED_SUFFIXES and path.stat().st_mtime > built:
                return False
    return True


def parse_if_changed(project) -> bool:
    """Parse `project` (dagster-dbt's preparer runs `dbt parse`) unless its manifest is
    current. Returns whether it parsed."""
    if manifest_is_current(project):
        return False
    project.preparer.prepare(project)
    return True
