"""Which code a code location loads: the learner's workspace or a lesson's completed code.

The workspace lives in `dagster_and_etl/defs/`; lesson N's completed code in
`dagster_and_etl/lesson_N/defs/`. Both are defs folders, loaded the same way
`dg` loads a project's defs folder.
"""

from __future__ import annotations

import importlib
import os
import warnings

import dagster as dg

from dagster_and_etl.course import settings

WORKSPACE = "workspace"
PACKAGE_DIR = settings.PROJECT_ROOT / "dagster_and_etl"


def completed_lessons() -> list[int]:
    """The lesson numbers that have completed code (`dagster_and_etl/lesson_N/`)."""
    numbers = []
    for folder in PACKAGE_DIR.glob("lesson_*"):
        suffix = folder.name.removeprefix("lesson_")
        if suffix.isdigit() and (folder / "definitions.py").exists():
            numbers.append(int(suffix))
    return sorted(numbers)


def defs_package(lesson: int | None) -> str:
    """The defs package of lesson N's completed code, or of the workspace when `lesson` is None."""
    if lesson is None:
        return "dagster_and_etl.defs"
    if lesson not in completed_lessons():
        known = ", ".join(str(n) for n in completed_lessons())
        raise ValueError(
            f"There is no completed code for lesson {lesson}; lessons with code: {known}."
        )
    return f"dagster_and_etl.lesson_{lesson}.defs"


def definitions_module(lesson: int | None) -> str:
    """The module `dg dev -m` serves for lesson N (or the workspace)."""
    if lesson is None:
        return "dagster_and_etl.definitions"
    return defs_package(lesson).removesuffix(".defs") + ".definitions"


def load_defs_folder(package: str) -> dg.Definitions:
    """Load every definition in a defs folder, as `dg.load_from_defs_folder` does for a project."""
    module = importlib.import_module(package)
    with warnings.catch_warnings():
        # Loading plain Python modules from a defs folder is marked "preview" in
        # Dagster 1.13; `dg` itself loads them the same way, so the warning is noise.
        warnings.simplefilter("ignore", dg.PreviewWarning)
        warnings.simplefilter("ignore", dg.BetaWarning)
        return dg.ComponentTree.from_module(
            defs_module=module, project_root=settings.PROJECT_ROOT
        ).build_defs()


def lesson_from_env() -> int | None:
    """The lesson `COURSE_LESSON` selects for the root code location (None: the workspace)."""
    value = os.environ.get("COURSE_LESSON", "").strip().lower()
    if value in ("", WORKSPACE):
        return None
    if not value.isdigit():
        raise ValueError(f"COURSE_LESSON must be a lesson number or 'workspace', not {value!r}.")
    return int(value)


TARGETS = ("solution", "workspace")


def current_target() -> str:
    """What tests and notebooks run: `solution` (default) or `workspace` (COURSE_TARGET)."""
    target = os.environ.get("COURSE_TARGET", "").strip().lower() or "solution"
    if target not in TARGETS:
        raise ValueError(f"COURSE_TARGET must be 'solution' or 'workspace', not {target!r}.")
    return target


def load_code_location(lesson: int | None) -> dg.Definitions:
    """Lesson N's completed code as one Definitions object (None: the workspace).

    Most lessons keep their code in a defs folder; lesson 8 wires its modules
    into a Definitions object by hand in definitions.py, which is what it teaches.
    """
    package = defs_package(lesson)
    if lesson is not None and not (PACKAGE_DIR / f"lesson_{lesson}" / "defs").is_dir():
        return importlib.import_module(definitions_module(lesson)).defs()  # @dg.definitions
    return load_defs_folder(package)


def load_lesson(lesson: int, target: str | None = None) -> dg.Definitions:
    """The code graded for a lesson: its completed code, or your whole workspace."""
    target = target or current_target()
    return load_code_location(None if target == "workspace" else lesson)
