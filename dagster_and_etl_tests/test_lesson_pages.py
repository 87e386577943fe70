"""Lesson pages cannot drift from the code they quote.

Every ```python block in a page is preceded by one of two markers:
    <!-- excerpt: dagster_and_etl/lesson_2/defs/assets.py -->   the block's lines appear,
                                                                 in order, in that file
    <!-- before: why this version is wrong -->                  an intentionally flawed
                                                                 version, still valid Python
"""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import pytest

from dagster_and_etl.course import settings

PAGES = sorted(settings.LESSONS_DIR.glob("lesson_*.md"))
BLOCK = re.compile(r"(?P<marker><!--[^\n]*-->)?\n*```python\n(?P<code>.*?)```", re.DOTALL)
MARKER = re.compile(r"<!--\s*(?P<kind>excerpt|before):\s*(?P<value>.+?)\s*-->")
LINK = re.compile(r"\[[^\]]*\]\((?P<target>[^)#\s]+)(?:#[^)]*)?\)")


def python_blocks(page: Path) -> list[tuple[str | None, str | None, str]]:
    blocks = []
    for match in BLOCK.finditer(page.read_text(encoding="utf-8")):
        marker = MARKER.search(match.group("marker") or "")
        kind, value = (marker.group("kind"), marker.group("value")) if marker else (None, None)
        blocks.append((kind, value, textwrap.dedent(match.group("code"))))
    return blocks


def contains_lines(source: str, excerpt: str) -> bool:
    """True when the excerpt's lines stand consecutively in source, at any one indentation."""
    wanted = [line.rstrip() for line in excerpt.strip("\n").splitlines()]
    lines = [line.rstrip() for line in source.splitlines()]
    for start in range(len(lines) - len(wanted) + 1):
        indent = len(lines[start]) - len(lines[start].lstrip())
        if all(
            (not want and not have) or have == " " * indent + want
            for want, have in zip(wanted, lines[start : start + len(wanted)], strict=True)
        ):
            return True
    return False


def test_there_are_lesson_pages():
    assert [page.name for page in PAGES][:2] == [
        "lesson_1_etl_and_dagster.md",
        "lesson_2_file_import.md",
    ]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_python_excerpts_match_the_code(page: Path):
    for kind, value, code in python_blocks(page):
        assert kind is not None, (
            f"{page.name}: a python block has no excerpt/before marker:\n{code}"
        )
        if kind == "before":
            ast.parse(code)  # an intentionally wrong version is still valid Python
            continue
        source = settings.PROJECT_ROOT / value
        assert source.is_file(), f"{page.name}: the excerpt's file {value} does not exist"
        assert contains_lines(source.read_text(encoding="utf-8"), code), (
            f"{page.name}: this excerpt no longer matches {value}:\n{code}"
        )


@pytest.mark.parametrize(
    "page", [*PAGES, settings.PROJECT_ROOT / "README.md"], ids=lambda page: page.name
)
def test_relative_links_resolve(page: Path):
    for match in LINK.finditer(page.read_text(encoding="utf-8")):
        target = match.group("target")
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def stub_sections() -> list[tuple[int, str, Path]]:
    """(lesson, section) of every `todo(...)`/`ResourceNotWrittenYet(...)` in the workspace."""
    found = []
    for path in (settings.PROJECT_ROOT / "dagster_and_etl" / "defs").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            if node.func.id == "todo":
                lesson, _, section = (arg.value for arg in node.args)
                found.append((lesson, section, path))
            elif node.func.id == "ResourceNotWrittenYet":
                keywords = {kw.arg: kw.value.value for kw in node.keywords}
                found.append((keywords["lesson"], keywords["section"], path))
    return found


def test_every_stub_points_at_a_real_section():
    sections = stub_sections()
    assert sections, "the workspace has no starter stubs"
    for lesson, section, path in sections:
        [page] = settings.LESSONS_DIR.glob(f"lesson_{lesson}_*.md")
        headings = {
            line.lstrip("#").strip()
            for line in page.read_text(encoding="utf-8").splitlines()
            if line.startswith("#")
        }
        assert section in headings, (
            f"{path.name} points at a missing section of {page.name}: {section}"
        )
