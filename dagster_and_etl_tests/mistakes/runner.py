"""Apply a mistake (or an alternative) to a scratch copy of the repository and grade it.

    python -m dagster_and_etl_tests.mistakes.runner [--lesson N] [--workers 2]

prints the mutation score per lesson. The same runs back test_mutations.py
(`pytest -m mutation`), which CI runs: a mistake that survives fails CI.

A mistake is caught when grading its lesson fails and a failing check names the
section that teaches the rule. Only that section's checks run (`--only-section`):
the verdict is the same as running the whole lesson, in a fraction of the time.
Checks of our own helpers (`solution_only`) do not count: a learner's grading
skips them, so they can neither catch a mistake nor refuse an alternative.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dagster_and_etl.course import grading, settings
from dagster_and_etl_tests.mistakes import Alternative, Edit, Mistake, catalogue


def repository_files(root: Path) -> list[str]:
    """The repository's files as git sees them: tracked, plus new ones not ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [name for name in listed.split("\0") if name and (root / name).is_file()]


def apply(root: Path, edit: Edit) -> None:
    path = root / edit.file
    text = path.read_text(encoding="utf-8")
    found = text.count(edit.old)
    if found != edit.count:
        raise ValueError(
            f"{edit.file}: expected {edit.count} occurrence(s) of {edit.old!r}, found {found}; "
            "the completed code changed, update the catalogue entry"
        )
    path.write_text(text.replace(edit.old, edit.new), encoding="utf-8")


@contextmanager
def scratch_copy(edits: tuple[Edit, ...], source: Path = settings.PROJECT_ROOT) -> Iterator[Path]:
    """A temporary copy of the repository with `edits` applied."""
    with tempfile.TemporaryDirectory(prefix="course-mutation-") as folder:
        root = Path(folder) / "repo"
        for name in repository_files(source):
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, target)
        (root / "data" / "staging").mkdir(parents=True, exist_ok=True)
        for edit in edits:
            apply(root, edit)
        yield root


@dataclass
class Verdict:
    entry: Mistake | Alternative
    checks: list[grading.Check]
    seconds: float

    @property
    def failing(self) -> list[grading.Check]:
        return [c for c in self.checks if c.outcome in ("failed", "problem")]

    @property
    def caught(self) -> bool:
        """For a mistake: grading fails, and a failing line names the section."""
        assert isinstance(self.entry, Mistake)
        wanted = f'"{self.entry.section}"'
        return any(
            c.outcome == "failed" and c.where(self.entry.lesson).endswith(wanted)
            for c in self.failing
        )

    @property
    def passes(self) -> bool:
        return grading.passed(self.checks)

    def describe(self) -> str:
        lines = [f"{self.entry.id}: {self.entry.why}"]
        if not self.checks:
            lines.append("  no check ran")
        for check in self.failing:
            lines.append(f"  FAIL {check.title}: {check.hint(self.entry.lesson)}")
        return "\n".join(lines)


def grade(entry: Mistake | Alternative) -> Verdict:
    """Grade the completed code of the entry's lesson with the entry applied."""
    started = time.monotonic()
    # Graded as a learner's workspace is: the checks of our own helpers do not count.
    extra = ("-m", "not solution_only")
    if isinstance(entry, Mistake):
        extra += ("--only-section", entry.section)
    with scratch_copy(entry.edits) as root:
        checks = grading.run(entry.lesson, "solution", extra, root=root)
    return Verdict(entry, checks, time.monotonic() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesson", type=int, action="append")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--name", action="append", help="only the entries whose name contains this")
    options = parser.parse_args()
    mistakes, alternatives = catalogue()
    entries = [
        e
        for e in [*mistakes, *alternatives]
        if (not options.lesson or e.lesson in options.lesson)
        and (not options.name or any(name in e.name for name in options.name))
    ]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=options.workers) as pool:
        verdicts = list(pool.map(grade, entries))
    ok = True
    for lesson in sorted({v.entry.lesson for v in verdicts}):
        ours = [v for v in verdicts if v.entry.lesson == lesson and isinstance(v.entry, Mistake)]
        alts = [
            v for v in verdicts if v.entry.lesson == lesson and isinstance(v.entry, Alternative)
        ]
        caught = sum(v.caught for v in ours)
        passing = sum(v.passes for v in alts)
        print(
            f"lesson {lesson}: {caught}/{len(ours)} mistakes caught, "
            f"{passing}/{len(alts)} alternatives pass"
        )
        for v in ours:
            if not v.caught:
                ok = False
                print("  SURVIVED " + v.describe().replace("\n", "\n  "))
        for v in alts:
            if not v.passes:
                ok = False
                print("  REFUSED " + v.describe().replace("\n", "\n  "))
    print(f"{len(verdicts)} entries in {time.monotonic() - started:.0f}s")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
