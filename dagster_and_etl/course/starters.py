"""The workspace's starter files, as git holds them: reset a lesson, see which are started.

The starters are the files of `dagster_and_etl/defs/lesson_N/` in the course's
own history: by default `origin/main` (your clone's copy of the course), else
`main`. Set COURSE_STARTER_REF to use another commit or branch.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from dagster_and_etl.course import settings

WORKSPACE = Path("dagster_and_etl") / "defs"


def git(*args: str, input: bytes | None = None, env: dict[str, str] | None = None) -> bytes:
    """Run git in the repository and return its standard output."""
    result = subprocess.run(
        ["git", *args], cwd=settings.PROJECT_ROOT, capture_output=True, input=input, env=env
    )
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {result.stderr.decode().strip()}")
    return result.stdout


def ref_exists(ref: str) -> bool:
    try:
        git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except RuntimeError:
        return False
    return True


def starter_ref() -> str:
    """The commit whose workspace files count as the starters."""
    candidates = [settings.get("COURSE_STARTER_REF"), "origin/main", "main", "HEAD"]
    for ref in filter(None, candidates):
        if ref_exists(ref):
            return ref
    raise RuntimeError("No git history found: the starter files come from git.")


def lesson_folder(lesson: int) -> Path:
    return WORKSPACE / f"lesson_{lesson}"


def starter_files(lesson: int, ref: str | None = None) -> dict[str, bytes]:
    """Each file of lesson N's folder at `ref` (the starters by default), and its content."""
    ref = ref or starter_ref()
    names = git("ls-tree", "-r", "--name-only", ref, "--", lesson_folder(lesson).as_posix())
    return {name: git("show", f"{ref}:{name}") for name in names.decode().splitlines()}


def current_files(lesson: int) -> dict[str, bytes]:
    folder = settings.PROJECT_ROOT / lesson_folder(lesson)
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(settings.PROJECT_ROOT).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def is_started(lesson: int) -> bool:
    """Whether lesson N's workspace folder differs from its starters."""
    starters = starter_files(lesson)
    return bool(starters) and current_files(lesson) != starters


def reset(lesson: int) -> list[str]:
    """Put lesson N's starters back (and remove files the starters do not have).

    Returns the paths that changed.
    """
    return restore(lesson, starter_ref())


def restore(lesson: int, ref: str) -> list[str]:
    """Make lesson N's folder what it is at `ref`; return the paths that changed."""
    wanted = starter_files(lesson, ref)
    if not wanted:
        raise ValueError(f"Lesson {lesson} has no files in {ref}.")
    changed = []
    for name in current_files(lesson):
        if name not in wanted:
            (settings.PROJECT_ROOT / name).unlink()
            changed.append(name)
    for name, content in wanted.items():
        path = settings.PROJECT_ROOT / name
        if not path.exists() or path.read_bytes() != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            changed.append(name)
    return sorted(changed)
