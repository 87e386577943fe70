"""`course check`: run a lesson's tests and say, for each failure, what to reread.

Each test says what it expects in its docstring and which section of the lesson
page teaches it (`@pytest.mark.section("Step 3: ...")`); conftest.py records
both in pytest's JUnit XML report. This module runs pytest for one lesson,
reads that report and prints one line per check: what was expected, what was
found, and where to read. A problem with the course's own services (a port in
use, Postgres that does not start) is reported as such, not as your mistake.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from dagster_and_etl.course import settings
from dagster_and_etl.course.workspace import lesson_page

NOT_WRITTEN = "NOT WRITTEN YET: "
SERVICE_PROBLEM = "COURSE SERVICE PROBLEM: "
# The skip reason of the checks marked solution_only (helpers of the completed code).
HELPER_SKIP = "checks an internal helper of the completed lesson"
# Older messages name their section inline: section "…", 'Step N …' or (page, Step N).
INLINE_SECTION = re.compile(
    r"""section "(?P<a>[^"]+)"|'(?P<b>Step \d+[^']*)'|\((?:[^,()]+), (?P<c>Step \d+[^)]*)\)"""
)
COMPARISON = re.compile(r"^assert (?P<found>.+?) (?P<op>==|!=|<=|>=|<|>|in|not in|is) (?P<exp>.+)$")


class CourseServiceError(RuntimeError):
    """One of the course's own services (Postgres, the NeoWs stand-in) could not run.

    Raised by test fixtures, so that grading tells a learner the problem is not
    their code, and what to do about it.
    """


@dataclass
class Check:
    name: str
    outcome: str  # passed, failed, skipped or problem (a course service, not your code)
    message: str = ""
    expected: str = ""
    section: str = ""

    @property
    def title(self) -> str:
        return self.name.removeprefix("test_").replace("_", " ")

    def where(self, lesson: int) -> str:
        """The page section to read: a stub names where its own piece is taught, which
        beats the test's section; otherwise the test's, or one its message names."""
        match = INLINE_SECTION.search(self.message)
        named = next((g for g in match.groups() if g), "") if match else ""
        stub = self.message.startswith(NOT_WRITTEN)
        section = (named if stub else "") or self.section or named
        return f'{lesson_page(lesson)}, "{section}"' if section else lesson_page(lesson)

    def found(self) -> str:
        """The first line of the failure, in words where pytest gave a bare comparison."""
        lines = [line.strip() for line in self.message.splitlines() if line.strip()]
        first = re.sub(r"^(E\s+|AssertionError: |Failed: |dagster\._core\.\S+: )+", "", lines[0])
        first = re.split(r"\s*\((?:see )?lessons/", first)[0]
        comparison = COMPARISON.match(first)
        if comparison:
            found, op, expected = comparison.group("found", "op", "exp")
            if op == "==":
                return f"{found}, where {expected} was expected"
            return f"{found} {op} {expected} did not hold"
        return first

    def hint(self, lesson: int) -> str:
        """One line: what was expected and found, and which part of the lesson page to reread."""
        if self.outcome == "problem":
            text = self.message.split(SERVICE_PROBLEM, 1)[-1].strip().splitlines()[0]
            return f"not your code: {text}"
        if self.message.startswith(NOT_WRITTEN):
            text = self.message.split(NOT_WRITTEN, 1)[-1].strip().splitlines()[0]
            text = re.split(r"\. Read ", text)[0].removeprefix(f"Lesson {lesson}: ")
            return f"{text}  ->  read {self.where(lesson)}"
        found = self.found()[:200]
        expected = f"expected {self.expected.rstrip('.')}; found " if self.expected else ""
        return f"{expected}{found}  ->  reread {self.where(lesson)}"


def test_file(lesson: int) -> Path:
    return settings.PROJECT_ROOT / "dagster_and_etl_tests" / f"test_lesson_{lesson}.py"


def notebook(lesson: int) -> str | None:
    found = sorted(settings.NOTEBOOKS_DIR.glob(f"lesson_{lesson}_*.ipynb"))
    return found[0].relative_to(settings.PROJECT_ROOT).as_posix() if found else None


def run(
    lesson: int, target: str, extra: tuple[str, ...] = (), root: Path | None = None
) -> list[Check]:
    """Run lesson N's tests against `target` and return one Check per test.

    Everything the run writes (DuckDB files, dlt state, a Dagster home,
    bytecode) goes to a temporary folder: your own data/staging/ is untouched.
    `root` grades another copy of the repository (the catalogue of mistakes
    grades scratch copies); its package is the one imported.
    """
    project = root or settings.PROJECT_ROOT
    tests = project / test_file(lesson).relative_to(settings.PROJECT_ROOT)
    with tempfile.TemporaryDirectory(prefix="course-check-") as folder:
        scratch = Path(folder)
        report = scratch / "report.xml"
        command = [
            sys.executable, "-m", "pytest", str(tests), "--target", target,
            "-q", "-n", "0", "-p", "no:cacheprovider", f"--junitxml={report}",
            "-o", "junit_family=xunit1", f"--basetemp={scratch / 'tmp'}", *extra,
        ]  # fmt: skip
        env = {
            **settings.environment(),
            "COURSE_TARGET": target,
            "PYTHONDONTWRITEBYTECODE": "1",
            "DUCKDB_DATABASE": str(scratch / "data.duckdb"),
            "COURSE_STAGING_DIR": str(scratch / "staging"),
            "COURSE_DLT_DIR": str(scratch / "dlt_pipelines"),
            "DAGSTER_HOME": str(scratch / "dagster_home"),
        }
        if root is not None:
            env["PYTHONPATH"] = str(project)
            # Path settings that point into this repository point into the copy instead.
            for name in settings.PATH_SETTINGS:
                path = Path(env.get(name, ""))
                if path.is_absolute() and path.is_relative_to(settings.PROJECT_ROOT):
                    env[name] = str(project / path.relative_to(settings.PROJECT_ROOT))
        (scratch / "dagster_home").mkdir()
        done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
        if not report.exists():
            output = (done.stdout + done.stderr).strip().splitlines()[-5:]
            return [
                Check(
                    f"test_lesson_{lesson}",
                    "problem",
                    "pytest could not run: " + " / ".join(output),
                )
            ]
        return read_report(report)


def read_report(report: Path) -> list[Check]:
    checks = []
    for case in ET.parse(report).getroot().iter("testcase"):
        properties = {p.get("name"): p.get("value", "") for p in case.iter("property")}
        check = Check(
            case.get("name", "?"),
            "passed",
            expected=properties.get("expected", ""),
            section=properties.get("section", ""),
        )
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        skipped = case.find("skipped")
        if problem is not None:
            check.message = problem.get("message") or problem.text or ""
            check.outcome = "problem" if SERVICE_PROBLEM in check.message else "failed"
        elif skipped is not None:
            check.outcome, check.message = "skipped", skipped.get("message", "")
        checks.append(check)
    return checks


def passed(checks: list[Check]) -> bool:
    return bool(checks) and all(check.outcome in ("passed", "skipped") for check in checks)


def report(lesson: int, checks: list[Check]) -> str:
    """The short text `course check` prints."""
    passed_count = sum(check.outcome == "passed" for check in checks)
    # Checks of the completed code's own helpers are skipped on your code: count them
    # apart, in one line, so that they do not read like checks you missed.
    helpers = [c for c in checks if c.outcome == "skipped" and HELPER_SKIP in c.message]
    graded = [c for c in checks if c not in helpers]
    lines = [f"Lesson {lesson}: {passed_count} of {len(graded)} checks pass"]
    if helpers:
        if len(helpers) == 1:
            what, verb = "1 more check tests a function", "it was"
        else:
            what, verb = f"{len(helpers)} more checks test functions", "they were"
        lines[0] += (
            f" ({what} of the completed code that your code need not have, so {verb} not run)"
        )
    for check in graded:
        mark = {"passed": "ok  ", "failed": "FAIL", "skipped": "skip", "problem": "????"}
        lines.append(f"  {mark[check.outcome]} {check.title}")
        if check.outcome in ("failed", "problem"):
            lines.append(f"         {check.hint(lesson)}")
        elif check.outcome == "skipped":
            reason = re.sub(r"^Skipped: ", "", check.message.strip()) or "no reason given"
            lines.append(f"         skipped: {reason}")
    if any(check.outcome == "problem" for check in checks):
        lines.append(
            "  ???? marks a problem with the course's own services, not with your code: "
            "fix what it says, then run `course check` again."
        )
    if passed(checks):
        book = notebook(lesson)
        shows = f"The notebook {book} shows the data." if book else "Well done."
        lines.append(f"  All done. {shows}")
    return "\n".join(lines)
