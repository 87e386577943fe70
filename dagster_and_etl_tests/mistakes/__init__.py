"""The catalogue of learner mistakes, and the alternative correct solutions.

A mistake is a small, realistic change to a lesson's completed code that a
learner could make: it breaks one rule the lesson teaches. Grading must catch
each one, and the failing check must send the learner to the page section that
teaches the rule. An alternative is a different but correct way to write the
lesson (other helper names, another table layout): grading must pass it.

`lesson_N.py` holds lesson N's MISTAKES and ALTERNATIVES; runner.py applies each
one to a scratch copy of the repository and grades it (test_mutations.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Edit:
    """Replace `old` by `new` in `file` (a path from the repository root); `old` must
    occur exactly once, unless `count` says how many times."""

    file: str
    old: str
    new: str
    count: int = 1


@dataclass(frozen=True)
class Mistake:
    lesson: int
    name: str
    why: str  # one line: the rule it breaks
    section: str  # the heading of the lesson page section that teaches the rule
    edits: tuple[Edit, ...] = field(default_factory=tuple)

    @property
    def id(self) -> str:
        return f"lesson_{self.lesson}/{self.name}"


@dataclass(frozen=True)
class Alternative:
    lesson: int
    name: str
    why: str  # one line: what is different, and why it is still correct
    edits: tuple[Edit, ...] = field(default_factory=tuple)

    @property
    def id(self) -> str:
        return f"lesson_{self.lesson}/{self.name}"


def mistake(lesson: int, name: str, why: str, section: str, *edits: Edit) -> Mistake:
    return Mistake(lesson, name, why, section, edits)


def alternative(lesson: int, name: str, why: str, *edits: Edit) -> Alternative:
    return Alternative(lesson, name, why, edits)


def catalogue() -> tuple[list[Mistake], list[Alternative]]:
    """Every lesson's mistakes and alternatives."""
    import importlib
    import pkgutil

    mistakes: list[Mistake] = []
    alternatives: list[Alternative] = []
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.name.startswith("lesson_"):
            loaded = importlib.import_module(f"{__name__}.{module.name}")
            mistakes += getattr(loaded, "MISTAKES", [])
            alternatives += getattr(loaded, "ALTERNATIVES", [])
    return mistakes, alternatives
