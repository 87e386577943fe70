"""Code locations: one per lesson, for your workspace and for the completed code.

| what                        | module (`dg dev -m …`)                   | location name      |
| --------------------------- | ---------------------------------------- | ------------------ |
| your lesson N               | dagster_and_etl.defs.lesson_N.definitions | lesson_N           |
| lesson N's completed code   | dagster_and_etl.lesson_N.definitions      | lesson_N_completed |

Each is a room of its own: loading lesson N never imports another lesson's
workspace, so nothing written (or left unfinished) elsewhere can break it. A
lesson that builds on an earlier one imports that lesson's *completed* code,
through an import its page names.

Most lessons keep their code in a defs folder, which `defs_folder()` loads the
way `dg` loads a project's defs folder. Lesson 8 wires its modules into a
Definitions object by hand in definitions.py, which is what it teaches.
"""

from __future__ import annotations

import importlib
import warnings

from dagster_and_etl.course import settings

WORKSPACE_PACKAGE = "dagster_and_etl.defs"
PACKAGE_DIR = settings.PROJECT_ROOT / "dagster_and_etl"
WORKSPACE_DIR = PACKAGE_DIR / "defs"
TARGETS = ("solution", "workspace")
DEFAULT_LESSON = 2


def _numbers(folders) -> list[int]:
    numbers = []
    for folder in folders:
        suffix = folder.name.removeprefix("lesson_")
        if suffix.isdigit() and (folder / "definitions.py").exists():
            numbers.append(int(suffix))
    return sorted(numbers)


def completed_lessons() -> list[int]:
    """The lesson numbers that have completed code (`dagster_and_etl/lesson_N/`)."""
    return _numbers(PACKAGE_DIR.glob("lesson_*"))


def workspace_lessons() -> list[int]:
    """The lesson numbers that have a workspace folder (`dagster_and_etl/defs/lesson_N/`)."""
    return _numbers(WORKSPACE_DIR.glob("lesson_*"))


def workspace_package(lesson: int) -> str:
    return f"{WORKSPACE_PACKAGE}.lesson_{lesson}"


def location_module(lesson: int, solution: bool = False) -> str:
    """The module `dg dev -m` serves for your lesson N, or for its completed code."""
    known = completed_lessons() if solution else workspace_lessons()
    if lesson not in known:
        side = "completed code" if solution else "workspace folder"
        raise ValueError(
            f"Lesson {lesson} has no {side}; lessons that have one: {', '.join(map(str, known))}."
        )
    package = f"dagster_and_etl.lesson_{lesson}" if solution else workspace_package(lesson)
    return f"{package}.definitions"


def location_name(lesson: int, solution: bool = False) -> str:
    return f"lesson_{lesson}_completed" if solution else f"lesson_{lesson}"


def workspace_yaml(lessons: list[int], solution: bool = False) -> str:
    """A Dagster workspace file with one code location per lesson (no Dagster import needed)."""
    lines = ["# Written by `course dev`: one code location per lesson.", "load_from:"]
    for lesson in lessons:
        lines += [
            "  - python_module:",
            f"      module_name: {location_module(lesson, solution)}",
            f"      location_name: {location_name(lesson, solution)}",
            f"      working_directory: {settings.PROJECT_ROOT.as_posix()}",
        ]
    return "\n".join(lines) + "\n"


# -- loading (these import Dagster) -------------------------------------------------

_loading: set[str] = set()


def load_defs_folder(package: str):
    """Every definition in a defs folder, as `dg.load_from_defs_folder` loads a project's,
    without the list of installed component types that costs every process about 2 s."""
    import dagster as dg

    module = importlib.import_module(package)
    _loading.add(package)
    try:
        with warnings.catch_warnings():
            # Loading plain Python modules from a defs folder is marked "preview" in
            # Dagster 1.13; `dg` itself loads them the same way, so the warning is noise.
            warnings.simplefilter("ignore", dg.PreviewWarning)
            warnings.simplefilter("ignore", dg.BetaWarning)
            tree = dg.ComponentTree.from_module(
                defs_module=module, project_root=settings.PROJECT_ROOT
            )
            # `tree.build_defs()` would also import every installed component library
            # (dagster-dbt with dbt, dagster-dlt with dlt, ...) to list their types
            # in the UI: about 2 s in each process that loads a lesson, run steps
            # included. Building the folder itself gives the same definitions and
            # imports only what the lesson uses.
            defs = tree.build_defs(tree.defs_module_path)
            if not any(tree.defs_module_path.rglob("defs.yaml")):
                return defs
            # The UI draws a folder's YAML components as a tree. Drawing it looks up
            # every installed component type, at the same cost, so only folders that
            # declare components get it.
            return dg.Definitions.merge(defs, dg.Definitions(component_tree=tree))
    finally:
        _loading.discard(package)


def defs_folder(package: str):
    """The code location of a lesson whose definitions are the files of `package`.

    A lesson's definitions.py says `defs = defs_folder(__package__)`. When the
    folder is loaded, definitions.py is one of its files, and meets itself: that
    inner call adds nothing.
    """
    import dagster as dg

    @dg.definitions
    def defs() -> dg.Definitions:
        if package in _loading:
            return dg.Definitions()
        return load_defs_folder(package)

    return defs


def load_location(lesson: int, solution: bool = False):
    """The Definitions of your lesson N, or of its completed code."""
    import dagster as dg

    module = importlib.import_module(location_module(lesson, solution))
    defs = module.defs
    return defs() if callable(defs) and not isinstance(defs, dg.Definitions) else defs


def lesson_from_env() -> int:
    """The lesson COURSE_LESSON names: the one plain `dg` commands at the root load."""
    value = settings.get("COURSE_LESSON", str(DEFAULT_LESSON)).lower().removeprefix("lesson_")
    if not value.isdigit():
        raise ValueError(
            f"COURSE_LESSON must be a lesson number such as 3, not {value!r} "
            "(set in your shell, .env or .env.example)."
        )
    return int(value)


def current_target() -> str:
    """What tests and notebooks run: `solution` (default) or `workspace` (COURSE_TARGET)."""
    target = settings.get("COURSE_TARGET", "solution").lower()
    if target not in TARGETS:
        raise ValueError(f"COURSE_TARGET must be 'solution' or 'workspace', not {target!r}.")
    return target


def load_lesson(lesson: int, target: str | None = None):
    """The code graded for lesson N: its completed code, or your own lesson N."""
    return load_location(lesson, solution=(target or current_target()) == "solution")


if __name__ == "__main__":  # python -m dagster_and_etl.course.locations [workspace|solution]
    import sys

    solution = sys.argv[1:] == ["solution"]
    lessons = completed_lessons() if solution else workspace_lessons()
    print(workspace_yaml(lessons, solution), end="")
