"""What the learner's starter files use to say "not written yet".

A stub raises `todo(...)`, whose message names the lesson page and section
to read. The workspace still loads in `dg dev`; only running the stub fails.
"""

from __future__ import annotations

import dagster as dg

from dagster_and_etl.course import settings


class NotWrittenYet(NotImplementedError):
    """A starter stub in `dagster_and_etl/defs/` that the learner has not filled in."""


def lesson_page(lesson: int) -> str:
    """The lesson page relative to the repository root, e.g. `lessons/lesson_2_file_import.md`."""
    pages = sorted(settings.LESSONS_DIR.glob(f"lesson_{lesson}_*.md"))
    if not pages:
        return f"lessons/lesson_{lesson}_*.md"
    return pages[0].relative_to(settings.PROJECT_ROOT).as_posix()


def todo(lesson: int, what: str, section: str) -> NotWrittenYet:
    """The error a stub raises: what is missing, and where the lesson explains it."""
    return NotWrittenYet(
        f"Lesson {lesson}: `{what}` is not written yet. Read {lesson_page(lesson)}, "
        f'section "{section}", fill in the TODO in dagster_and_etl/defs/lesson_{lesson}/, '
        f"then check your work with `course check {lesson}`."
    )


class ResourceNotWrittenYet(dg.ConfigurableResource):
    """Stands in for a resource the learner has not written; using it raises `todo`."""

    lesson: int
    resource: str
    section: str

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        raise todo(self.lesson, self.resource, self.section)
