"""Solution branches: `lesson-N-solution` is your current commit with one folder changed,
your lesson N (`dagster_and_etl/defs/lesson_N/`), which holds lesson N's completed code.

Because each branch changes only that folder, you can take one lesson's
solution and keep your other lessons as they are:

    course solution 3                                          # asks first
    git checkout lesson-3-solution -- dagster_and_etl/defs/lesson_3

The branches are written with git's plumbing commands into a private index, so
building them never touches the files of the branch you are on. Building them
again moves each branch to a new commit on top of your current one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePosixPath

from dagster_and_etl.course import locations, starters
from dagster_and_etl.course.starters import git

# The workspace folder keeps its own definitions.py (the code location) and
# __init__.py; everything else comes from the completed code.
KEPT_FROM_WORKSPACE = ("__init__.py", "definitions.py")


def branch_name(lesson: int) -> str:
    return f"lesson-{lesson}-solution"


def _blobs(ref: str, folder: str) -> dict[str, tuple[str, str]]:
    """{path relative to folder: (mode, blob)} of every file under `folder` at `ref`."""
    entries = {}
    for line in git("ls-tree", "-r", ref, "--", folder).decode().splitlines():
        meta, path = line.split("\t", 1)
        mode, _, blob = meta.split()
        entries[PurePosixPath(path).relative_to(folder).as_posix()] = (mode, blob)
    return entries


def solution_files(lesson: int, ref: str = "HEAD") -> dict[str, tuple[str, str]]:
    """The files of your lesson N folder on its solution branch: {path: (mode, blob)}.

    Lessons with a defs folder: the completed defs files, plus the workspace's
    definitions.py and __init__.py. Lesson 8, wired by hand: the completed
    lesson's files, its definitions.py included. Lesson 5 also brings the dlt
    sources module, which sits beside its defs folder.
    """
    completed = f"dagster_and_etl/lesson_{lesson}"
    workspace = starters.lesson_folder(lesson).as_posix()
    defs = _blobs(ref, f"{completed}/defs")
    ours = _blobs(ref, workspace)
    if defs:
        files = {name: entry for name, entry in defs.items() if name not in KEPT_FROM_WORKSPACE}
        files.update({name: ours[name] for name in KEPT_FROM_WORKSPACE if name in ours})
        files.update({n: e for n, e in _blobs(ref, completed).items() if n == "sources.py"})
    else:
        files = {n: e for n, e in _blobs(ref, completed).items() if n != "__init__.py"}
        if "__init__.py" in ours:
            files["__init__.py"] = ours["__init__.py"]
    return {f"{workspace}/{name}": entry for name, entry in files.items()}


def require_clean_tree() -> None:
    if git("status", "--porcelain", "--untracked-files=no").strip():
        raise RuntimeError(
            "Your working tree has uncommitted changes. Commit or stash them first: "
            "solution branches are built from your current commit."
        )


def build(lesson: int) -> str:
    """Create or move `lesson-N-solution`; return the new commit's id."""
    base = git("rev-parse", "HEAD").decode().strip()
    workspace = starters.lesson_folder(lesson).as_posix()
    with tempfile.TemporaryDirectory() as folder:
        # A private index: the real one, and the files on disk, are never touched.
        private = {**os.environ, "GIT_INDEX_FILE": str(Path(folder) / "index")}
        git("read-tree", base, env=private)
        git("rm", "-r", "--cached", "--quiet", "--ignore-unmatch", "--", workspace, env=private)
        for path, (mode, blob) in solution_files(lesson, base).items():
            git("update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}", env=private)
        tree = git("write-tree", env=private).decode().strip()
    message = (
        f"Lesson {lesson} solution: {workspace} holds lesson {lesson}'s completed code\n\n"
        f"Built by `course solutions` from {base[:12]}. Only {workspace}/ differs from that "
        f"commit. Take it with `course solution {lesson}`, then `course check {lesson}`."
    )
    commit = git("commit-tree", tree, "-p", base, "-m", message).decode().strip()
    git("update-ref", f"refs/heads/{branch_name(lesson)}", commit)
    return commit


def build_all(lessons: list[int] | None = None) -> dict[int, str]:
    require_clean_tree()
    return {lesson: build(lesson) for lesson in lessons or locations.completed_lessons()}


def take(lesson: int) -> list[str]:
    """Put lesson N's solution into your lesson N folder (building its branch if need be)."""
    if lesson not in locations.completed_lessons():
        raise ValueError(f"Lesson {lesson} has no completed code.")
    branch = branch_name(lesson)
    if not starters.ref_exists(branch):
        build(lesson)
    return starters.restore(lesson, branch)
