"""Every graded check tells a learner what it expects and where to read.

`course check` prints, for a failing check, its docstring's first paragraph as
what was expected and its `@pytest.mark.section(...)` as the page section to
reread. A check without them would leave a learner with a bare assertion.
"""

from __future__ import annotations

import ast
import re

import pytest

from dagster_and_etl.course import settings
from dagster_and_etl.course.workspace import lesson_page

LESSONS = range(2, 9)


def headings(lesson: int) -> set[str]:
    page = settings.PROJECT_ROOT / lesson_page(lesson)
    return {
        match.group(1).strip()
        for match in re.finditer(r"^#{2,3} (.+)$", page.read_text(encoding="utf-8"), re.M)
    }


def graded_tests(lesson: int) -> list[ast.FunctionDef]:
    path = settings.PROJECT_ROOT / "dagster_and_etl_tests" / f"test_lesson_{lesson}.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    tests = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            node.module_constants = constants  # to read section(SOME_CONSTANT)
            tests.append(node)
    return tests


def section_of(test: ast.FunctionDef) -> str | None:
    for decorator in test.decorator_list:
        if (
            isinstance(decorator, ast.Call)
            and ast.unparse(decorator.func) == "pytest.mark.section"
            and decorator.args
        ):
            argument = decorator.args[0]
            if isinstance(argument, ast.Constant):
                return argument.value
            if isinstance(argument, ast.Name):
                return getattr(test, "module_constants", {}).get(argument.id)
    return None


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_check_names_a_section_of_its_page_and_what_it_expects(lesson):
    known = headings(lesson)
    problems = []
    for test in graded_tests(lesson):
        section = section_of(test)
        if not section:
            problems.append(f"{test.name} has no @pytest.mark.section")
        elif section not in known:
            problems.append(f"{test.name}: {section!r} is not a heading of {lesson_page(lesson)}")
        if not ast.get_docstring(test):
            problems.append(f"{test.name} has no docstring saying what it expects")
    assert not problems, f"test_lesson_{lesson}.py: " + "; ".join(problems)
