"""A learner's clone of this repository, and the `course` and `git` commands run in it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dagster_and_etl.course import settings

ROOT = settings.PROJECT_ROOT


def course(*args: str, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run the clone's own `course` command (python -m puts the clone's package first)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "DUCKDB_DATABASE"))}
    return subprocess.run(
        [sys.executable, "-m", "dagster_and_etl.course", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


def make_clone(tmp_path_factory) -> Path:
    """A fresh clone of this repository's committed state."""
    if subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True).returncode:
        pytest.fail("the tooling tests need the repository's git history")
    folder = tmp_path_factory.mktemp("clone") / "course"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(folder)], check=True)
    git("config", "user.email", "learner@example.com", cwd=folder)
    git("config", "user.name", "Learner", cwd=folder)
    return folder
