"""`course solutions` and `course solution N`: the solution branches, and grading lessons
taken from them one at a time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dagster_and_etl.course import locations
from dagster_and_etl_tests.clones import course, git, make_clone


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """A fresh clone of this repository's committed state, for one test file."""
    return make_clone(tmp_path_factory)


def test_each_solution_branch_changes_only_its_lessons_folder(clone):
    """`course solutions` builds lesson-N-solution for every lesson, each differing from your
    commit only in your lesson N folder, and leaves your branch and files alone."""
    head = git("rev-parse", "HEAD", cwd=clone)
    status_before = git("status", "--porcelain", cwd=clone)

    built = course("solutions", cwd=clone)
    assert built.returncode == 0, built.stderr
    lessons = locations.completed_lessons()
    branches = git("branch", "--list", "lesson-*-solution", "--format=%(refname:short)", cwd=clone)
    assert branches.split() == sorted(f"lesson-{n}-solution" for n in lessons)
    assert git("rev-parse", "HEAD", cwd=clone) == head  # the current branch is untouched
    assert git("status", "--porcelain", cwd=clone) == status_before
    for lesson in lessons:
        changed = git("diff", "--name-only", "HEAD", f"lesson-{lesson}-solution", cwd=clone)
        folder = f"dagster_and_etl/defs/lesson_{lesson}/"
        assert changed and all(path.startswith(folder) for path in changed.split()), changed

    # Built again, each branch moves to a new commit on top of the current one.
    again = course("solutions", "2", cwd=clone)
    assert again.returncode == 0, again.stderr
    assert git("rev-parse", "lesson-2-solution^", cwd=clone) == head


def lesson_lines(output: str, lesson: int) -> list[str]:
    """The lines `course check` printed for one lesson."""
    lines, inside = [], False
    for line in output.splitlines():
        if line.startswith("Lesson "):
            inside = line.startswith(f"Lesson {lesson}:")
        if inside:
            lines.append(line)
    return lines


def test_solutions_taken_one_lesson_at_a_time_are_graded_alone(clone, tmp_path):
    """Lessons taken from their solution branches pass `course check`, and a lesson still at
    its starters fails only its own checks: no lesson's state changes another's grade."""
    assert course("solutions", cwd=clone).returncode == 0
    worktree = tmp_path / "learner"
    git("worktree", "add", "--quiet", "--detach", str(worktree), "HEAD", cwd=clone)
    for lesson in (3, 8):  # as a learner would, with plain git
        git("checkout", f"lesson-{lesson}-solution", "--", f"dagster_and_etl/defs/lesson_{lesson}",
            cwd=worktree)  # fmt: skip

    # Lesson 3 taken too (its schedule once broke lesson 6's grading); lesson 8 graded.
    mixed = course("check", "6", "8", cwd=worktree)
    assert mixed.returncode == 1, mixed.stdout
    eight = "\n".join(lesson_lines(mixed.stdout, 8))
    assert "FAIL" not in eight and "????" not in eight, eight
    assert "All done. The notebook notebooks/lesson_8" in eight
    six = lesson_lines(mixed.stdout, 6)
    assert any("FAIL" in line for line in six), "\n".join(six)
    hints = [line for line in six if "->" in line]
    assert hints and all("lessons/lesson_6_sling.md" in line for line in hints), "\n".join(six)

    rest = [str(n) for n in locations.completed_lessons() if n not in (3, 8)]
    for lesson in rest:  # lesson 6 included, now with `course solution`
        taken = course("solution", lesson, "--yes", cwd=worktree)
        assert taken.returncode == 0, taken.stderr
    # Every lesson taken: each of your locations now defines what the completed one does.
    # (Grading a taken lesson is shown above for 8; the files are the completed
    # ones, which the lesson tests grade already.)
    compare = subprocess.run(
        [sys.executable, "-c", SAME_DEFINITIONS], cwd=worktree, capture_output=True, text=True
    )
    assert compare.returncode == 0, compare.stdout + compare.stderr
    # Only the lessons taken differ from the commit; grading wrote nothing else.
    changed = git("status", "--porcelain", cwd=worktree).split("\n")
    taken_folders = {f"dagster_and_etl/defs/lesson_{n}/" for n in locations.completed_lessons()}
    assert all(any(f in line for f in taken_folders) for line in changed if line), changed


SAME_DEFINITIONS = """
import filecmp
import shutil
from pathlib import Path

from dagster_and_etl.course import locations
from dagster_and_etl_tests.test_course import definitions_summary

def summary(defs):
    return {**definitions_summary(defs), "schedules": {s.name for s in defs.schedules or []}}

def differences(a, b):
    found = filecmp.dircmp(a, b, ignore=["target", "logs", "__pycache__"])
    return [*found.left_only, *found.right_only, *found.diff_files, *found.funny_files] + [
        f"{name}/{d}" for name in found.subdirs for d in differences(a / name, b / name)
    ]

for n in locations.completed_lessons():
    mine = summary(locations.load_location(n))
    if n == 9:
        # Taken, your dbt project holds the completed project's files: the completed
        # location gets the manifest just parsed from them (a dbt parse costs ~5 CPU-s).
        yours = Path("dagster_and_etl/defs/lesson_9/dbt_project")
        theirs = Path("dagster_and_etl/lesson_9/defs/dbt_project")
        differ = differences(yours, theirs)
        assert not differ, differ
        (theirs / "target").mkdir(exist_ok=True)
        shutil.copy(yours / "target" / "manifest.json", theirs / "target" / "manifest.json")
    completed = summary(locations.load_location(n, solution=True))
    assert mine == completed, (n, mine, completed)
print("same")
"""


def test_solutions_refuse_a_dirty_tree(clone):
    readme = clone / "README.md"
    original = readme.read_text()
    readme.write_text(original + "\nlocal edit\n")
    try:
        result = course("solutions", "2", cwd=clone)
    finally:
        readme.write_text(original)
    assert result.returncode != 0
    assert "uncommitted changes" in result.stderr
