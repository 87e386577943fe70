"""`course check`: run a lesson's tests and say, for each failure, what to reread.

The tests' own messages carry the hints: a starter stub that has not been
written says which section of the lesson page explains it, and assertions name
the page and step. This module runs pytest, reads its JUnit XML report and
prints one line per check.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from dagster_and_etl.course import settings
from dagster_and_etl.course.workspace import lesson_page

SECTION = re.compile(
    r"""section "(?P<a>[^"]+)"|'(?P<b>Step \d+[^']*)'|\((?:[^,()]+), (?P<c>Step \d+)\)"""
)


@dataclass
class Check:
    name: str
    outcome: str  # passed, failed or skipped
    message: str = ""

    @property
    def title(self) -> str:
        return self.name.removeprefix("test_").replace("_", " ")

    def hint(self, lesson: int) -> str:
        """One line: what went wrong, and which part of the lesson page to reread."""
        first = next((line.strip() for line in self.message.splitlines() if line.strip()), "")
        first = re.sub(r"^(NOT WRITTEN YET: |E\s+|AssertionError: )+", "", first)
        first = re.split(r"\. Read |\s*\(see |\s*\(lessons/", first)[0]
        first = first.removeprefix(f"Lesson {lesson}: ")
        match = SECTION.search(self.message)
        section = next((group for group in match.groups() if group), None) if match else None
        where = f'{lesson_page(lesson)}, "{section}"' if section else lesson_page(lesson)
        return f"{first[:160]}  ->  reread {where}"


def test_file(lesson: int) -> Path:
    return settings.PROJECT_ROOT / "dagster_and_etl_tests" / f"test_lesson_{lesson}.py"


def run(lesson: int, target: str, extra: tuple[str, ...] = ()) -> list[Check]:
    """Run lesson N's tests against `target` and return one Check per test."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.xml"
        command = [
            sys.executable, "-m", "pytest", str(test_file(lesson)), "--target", target,
            "-q", "-n", "0", "-p", "no:cacheprovider", f"--junitxml={report}", *extra,
        ]  # fmt: skip
        env = {**os.environ, "COURSE_TARGET": target}
        subprocess.run(command, cwd=settings.PROJECT_ROOT, env=env, capture_output=True)
        if not report.exists():
            return [Check(f"test_lesson_{lesson}", "failed", "pytest could not run the tests")]
        return _read(report)


def _read(report: Path) -> list[Check]:
    checks = []
    for case in ET.parse(report).getroot().iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is not None:
            checks.append(
                Check(case.get("name", "?"), "failed", problem.get("message") or problem.text or "")
            )
        elif case.find("skipped") is not None:
            checks.append(
                Check(case.get("name", "?"), "skipped", case.find("skipped").get("message", ""))
            )
        else:
            checks.append(Check(case.get("name", "?"), "passed"))
    return checks


def report(lesson: int, checks: list[Check]) -> str:
    """The short text `course check` prints."""
    passed = sum(check.outcome == "passed" for check in checks)
    failed = [check for check in checks if check.outcome == "failed"]
    lines = [f"Lesson {lesson}: {passed} of {len(checks)} checks pass"]
    for check in checks:
        mark = {"passed": "ok  ", "failed": "FAIL", "skipped": "skip"}[check.outcome]
        lines.append(f"  {mark} {check.title}")
        if check.outcome == "failed":
            lines.append(f"         {check.hint(lesson)}")
    if not failed and checks:
        lines.append(f"  All done. The notebook notebooks/ for lesson {lesson} shows the data.")
    return "\n".join(lines)
