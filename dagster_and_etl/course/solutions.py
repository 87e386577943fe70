"""Solution branches: `lesson-N-solution` is your current commit with the workspace
(`dagster_and_etl/defs/`) replaced by lesson N's completed code.

The branches are written with git's plumbing commands into a private index, so
building them never touches the files of the branch you are on. Building them
again moves each branch to a new commit on top of your current one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from dagster_and_etl.course import locations
from dagster_and_etl.course.starters import WORKSPACE, git

# Lesson 8 wires its modules in definitions.py instead of a defs folder; on its
# branch the workspace is one module that hands over that Definitions object.
WIRED_LESSON_MODULE = '''"""Lesson {lesson}'s completed code, as this branch's workspace."""

from {module} import defs as lesson_{lesson}  # noqa: F401
'''


def branch_name(lesson: int) -> str:
    return f"lesson-{lesson}-solution"


def _tree_entries(lesson: int) -> list[tuple[str, str, str]]:
    """(mode, blob, path) for every file the solution branch's workspace holds."""
    source = Path("dagster_and_etl") / f"lesson_{lesson}" / "defs"
    listing = git("ls-tree", "-r", "HEAD", "--", source.as_posix()).decode().splitlines()
    entries = []
    for line in listing:
        meta, path = line.split("\t", 1)
        mode, _, blob = meta.split()
        entries.append((mode, blob, (WORKSPACE / Path(path).relative_to(source)).as_posix()))
    if entries:
        return entries
    module = locations.definitions_module(lesson)
    files = {
        WORKSPACE / "__init__.py": f'"""Lesson {lesson}, completed."""\n',
        WORKSPACE / f"lesson_{lesson}.py": WIRED_LESSON_MODULE.format(lesson=lesson, module=module),
    }
    for path, text in files.items():
        blob = git("hash-object", "-w", "--stdin", input=text.encode()).decode().strip()
        entries.append(("100644", blob, path.as_posix()))
    return entries


def require_clean_tree() -> None:
    if git("status", "--porcelain", "--untracked-files=no").strip():
        raise RuntimeError(
            "Your working tree has uncommitted changes. Commit or stash them first: "
            "solution branches are built from your current commit."
        )


def build(lesson: int) -> str:
    """Create or move `lesson-N-solution`; return the new commit's id."""
    base = git("rev-parse", "HEAD").decode().strip()
    with tempfile.TemporaryDirectory() as folder:
        # A private index: the real one, and the files on disk, are never touched.
        private = {**os.environ, "GIT_INDEX_FILE": str(Path(folder) / "index")}
        git("read-tree", base, env=private)
        workspace = WORKSPACE.as_posix()
        git("rm", "-r", "--cached", "--quiet", "--ignore-unmatch", "--", workspace, env=private)
        for mode, blob, path in _tree_entries(lesson):
            git("update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}", env=private)
        tree = git("write-tree", env=private).decode().strip()
    message = (
        f"Lesson {lesson} solution: the workspace holds lesson {lesson}'s completed code\n\n"
        f"Built by `course solutions` from {base[:12]}: dagster_and_etl/defs/ is replaced by "
        f"dagster_and_etl/lesson_{lesson}/. Grade it with `course check {lesson}`."
    )
    commit = git("commit-tree", tree, "-p", base, "-m", message).decode().strip()
    git("update-ref", f"refs/heads/{branch_name(lesson)}", commit)
    return commit


def build_all(lessons: list[int] | None = None) -> dict[int, str]:
    require_clean_tree()
    return {lesson: build(lesson) for lesson in lessons or locations.completed_lessons()}
