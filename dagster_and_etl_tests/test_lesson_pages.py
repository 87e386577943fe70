"""Lesson pages cannot drift from the code they quote.

Every ```python block in a page is preceded by one of two markers:
    <!-- excerpt: dagster_and_etl/lesson_2/defs/assets.py -->   the block's lines appear,
                                                                 in order, in that file
    <!-- before: why this version is wrong -->                  an intentionally flawed
                                                                 version, still valid Python

An excerpt of code the learner types can be typed as shown: every name it uses is a
builtin, or is defined or imported by an excerpt of the same file in the same section
(a step may show the file's imports after its first excerpt, or end with the whole
file) or in an earlier section (what an earlier step had you type). Excerpts quoted for
reading are exempt: the kit (dagster_and_etl/course/), the tests, the root code location,
the starter files and lesson 8's one-file project.

Lessons 2 to 8 end with "## Knowledge checks": three to five <details> questions, each
answer linking to the section of the same page that explains it. Lesson 8's table of
asset selections is checked against its completed code.
"""

from __future__ import annotations

import ast
import builtins
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


# The kit, the tests and the root code location are quoted for reading, not typing; so
# are the starter files and lesson 8's one-file project, whose excerpts show what your
# workspace already contains.
READ_ONLY_EXCERPTS = (
    "dagster_and_etl/defs/",
    "dagster_and_etl/lesson_8/before.py",
    "dagster_and_etl/course/",
    "dagster_and_etl_tests/",
    "dagster_and_etl/definitions.py",
)
MODULE_NAMES = {"__file__", "__name__"}


def bound_and_used(code: str) -> tuple[set[str], set[str]]:
    """Names a block defines or imports, and names it reads (scopes ignored)."""
    bound: set[str] = set()
    used: set[str] = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Name):
            (used if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound, used


def sectioned_blocks(text: str) -> list[tuple[str, str | None, str | None, str]]:
    """(section heading, kind, value, code) of every python block, in page order."""
    headings = []  # (offset, heading) of every heading outside a code fence
    offset, fenced = 0, False
    for line in text.splitlines(keepends=True):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"#{1,6} ", line):
            headings.append((offset, line.lstrip("#").strip()))
        offset += len(line)
    found = []
    for match in BLOCK.finditer(text):
        heading = next((name for at, name in reversed(headings) if at < match.start()), "(top)")
        marker = MARKER.search(match.group("marker") or "")
        kind, value = (marker.group("kind"), marker.group("value")) if marker else (None, None)
        found.append((heading, kind, value, textwrap.dedent(match.group("code"))))
    return found


def undefined_names(blocks: list[tuple[str, str | None, str | None, str]]) -> list[str]:
    """One line per excerpt that uses a name that nothing shown defines or imports.

    A name counts as shown when an excerpt of the same file defines or imports it in the
    same section (before or after: a step may end with the file's imports or the whole
    file) or in an earlier section (what you typed into that file in an earlier step).
    """
    typed = [
        (section, value, code)
        for section, kind, value, code in blocks
        if kind == "excerpt" and value is not None and not value.startswith(READ_ONLY_EXCERPTS)
    ]
    problems = []
    earlier: dict[str, set[str]] = {}  # file -> names its excerpts in earlier sections bind
    for index, (section, value, code) in enumerate(typed):
        bound, used = bound_and_used(code)
        in_section = set().union(
            *(
                bound_and_used(other_code)[0]
                for other_section, other_value, other_code in typed
                if other_section == section and other_value == value
            )
        )
        missing = sorted(
            used
            - bound
            - in_section
            - earlier.get(value, set())
            - set(dir(builtins))
            - MODULE_NAMES
        )
        if missing:
            first = code.strip().splitlines()[0]
            problems.append(f"{section}: {value} ({first[:40]}…): {', '.join(missing)}")
        next_section = typed[index + 1][0] if index + 1 < len(typed) else None
        if next_section != section:
            for other_section, other_value, other_code in typed:
                if other_section == section:
                    earlier.setdefault(other_value, set()).update(bound_and_used(other_code)[0])
    return problems


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


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_excerpts_can_be_typed_as_shown(page: Path):
    problems = undefined_names(sectioned_blocks(page.read_text(encoding="utf-8")))
    assert not problems, (
        f"{page.name}: an excerpt uses names that neither it nor an earlier excerpt of the "
        "same file defines or imports (show the file's imports where it first appears):\n  "
        + "\n  ".join(problems)
    )


def test_the_typing_rule_follows_imports_through_the_page():
    imports = ("Step 1", "excerpt", "a.py", "import dagster as dg\n")
    asset = ("Step 1", "excerpt", "a.py", "@dg.asset\ndef x(context):\n    return len(context)\n")
    later = ("Step 2", "excerpt", "a.py", "y = dg.asset\n")
    assert undefined_names([imports, asset, later]) == []
    assert undefined_names([asset]) == ["Step 1: a.py (@dg.asset…): dg"]
    assert undefined_names([asset, imports]) == [], "a step may end with the imports"
    assert undefined_names([later, imports]), "a later step's imports come too late"
    other_file = ("Step 1", "excerpt", "b.py", "import dagster as dg\n")
    assert undefined_names([other_file, asset]), "another file's imports do not count"
    kit = ("Step 1", "excerpt", "dagster_and_etl/course/x.py", "y = dg.asset\n")
    before = ("Step 1", "before", "why", "y = dg.asset\n")
    assert undefined_names([kit, before]) == [], "kit excerpts are for reading"


# -- knowledge checks ----------------------------------------------------------------
#
# Lessons 2 to 8 end with a "Knowledge checks" section: three to five questions, each a
# <details> block whose folded answer links to the section of the same page that explains it.

DETAILS = re.compile(r"<details>(?P<body>.*?)</details>", re.DOTALL)
ANCHOR_LINK = re.compile(r"\]\(#(?P<anchor>[^)\s]+)\)")


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def headings(text: str) -> list[str]:
    found, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"#{1,6} ", line):
            found.append(line.lstrip("#").strip())
    return found


def knowledge_check_problems(text: str) -> list[str]:
    sections = re.split(r"(?m)^## ", text)
    last = sections[-1]
    if not last.startswith("Knowledge checks\n"):
        return ["the page does not end with a '## Knowledge checks' section"]
    questions = DETAILS.findall(last)
    problems = []
    if not 3 <= len(questions) <= 5:
        problems.append(f"{len(questions)} questions, not 3 to 5")
    anchors = {slug(heading) for heading in headings(text)}
    for number, body in enumerate(questions, start=1):
        if "<summary>" not in body:
            problems.append(f"question {number} has no <summary> (the question)")
        links = ANCHOR_LINK.findall(body)
        if not links:
            problems.append(f"question {number}'s answer names no section of the page")
        problems += [
            f"question {number} links to #{anchor}, which is no heading of the page"
            for anchor in links
            if anchor not in anchors
        ]
    return problems


LESSON_PAGES = [page for page in PAGES if int(page.name.split("_")[1]) >= 2]


@pytest.mark.parametrize("page", LESSON_PAGES, ids=lambda page: page.name)
def test_every_lesson_ends_with_knowledge_checks(page: Path):
    problems = knowledge_check_problems(page.read_text(encoding="utf-8"))
    assert not problems, f"{page.name}: knowledge checks:\n  " + "\n  ".join(problems)


def test_the_knowledge_check_rule_finds_what_is_missing():
    question = "<details>\n<summary>Q?</summary>\n\nA. See [Step 1](#step-1-a-b).\n\n</details>\n"
    page = "# L\n\n## Step 1: a b\n\ntext\n\n## Knowledge checks\n\n" + question * 3
    assert knowledge_check_problems(page) == []
    assert knowledge_check_problems(page.replace("(#step-1-a-b)", "(#step-9)"))
    assert knowledge_check_problems(page.replace("See [Step 1](#step-1-a-b).", ""))
    assert knowledge_check_problems(page.replace(question * 3, question * 2))
    assert knowledge_check_problems(page + "\n## Exercise\n\nmore\n")
    assert slug("Step 2: validating the run's date") == "step-2-validating-the-runs-date"


# -- asset selections -----------------------------------------------------------------

SELECTIONS = re.compile(
    r"<!-- selections:[^\n]*-->\n(?P<table>.*?)<!-- end of selections -->", re.DOTALL
)
SELECTION_ROW = re.compile(r"^\| `(?P<selection>[^`]+)` \| (?P<selects>.+?) \|$", re.MULTILINE)


def test_the_selection_table_in_lesson_8_selects_what_it_says():
    import dagster as dg

    from dagster_and_etl.lesson_8.definitions import defs

    [page] = settings.LESSONS_DIR.glob("lesson_8_*.md")
    [table] = SELECTIONS.findall(page.read_text(encoding="utf-8"))
    rows = SELECTION_ROW.findall(table)
    assert len(rows) >= 5
    graph = defs().resolve_asset_graph()
    for selection, selects in rows:
        expected = sorted(SPAN.findall(selects))
        found = sorted(
            k.to_user_string() for k in dg.AssetSelection.from_string(selection).resolve(graph)
        )
        assert found == expected, f"lesson 8 says {selection!r} selects {expected}, not {found}"


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


# -- "run it" steps: your own code first ------------------------------------------
#
# Where a page (or a notebook's text, or the README) tells you to run something,
# it runs your lesson first; the completed code comes second, as a fallback, in
# the same section. A command runs the completed code when it names it: `--solution`,
# `-m dagster_and_etl.lesson_N…`, COURSE_TARGET=solution, a file or an import under
# dagster_and_etl/lesson_N/ run from the shell, or pytest without the workspace target.
# A shell line that runs your lesson but whose comment calls it the completed code
# (`course dev 2  # lesson 2's completed code`, true before each lesson had two code
# locations) fails too.

FENCE = re.compile(r"^```(?P<lang>\S*)\s*$")
SPAN = re.compile(r"`([^`\n]+)`")
COMPLETED_RUN = [
    re.compile(r"--solution\b"),
    re.compile(r"-m\s+dagster_and_etl\.lesson_\d"),
    re.compile(r"COURSE_TARGET=solution|--target[ =]solution"),
    re.compile(r"\bpython3?\s+\S*dagster_and_etl/lesson_\d"),
]
# Only where Python runs from the shell: a `python -c` command, or a shell block.
COMPLETED_IMPORT = re.compile(r"\b(from|import)\s+dagster_and_etl\.lesson_\d")
WORKSPACE_RUN = [
    re.compile(r"\bcourse (dev|check)\b"),
    re.compile(r"\bdg (dev|launch|check|list)\b"),
    re.compile(r"dagster_and_etl\.defs\.lesson_\d"),
    re.compile(r"COURSE_TARGET=workspace|--target[ =]workspace"),
]
SHELL_LANGUAGES = {"bash", "sh", "shell", "console"}
# README sections that are not a learner's "run it" step: the CI test command (it
# grades the completed code on purpose) and the instructors' notes.
NOT_RUN_STEPS = {"Quick start", "For instructors"}


def run_kind(command: str, shell: bool) -> str | None:
    """'completed', 'workspace' or None (not a command that runs lesson code)."""
    if any(pattern.search(command) for pattern in COMPLETED_RUN):
        return "completed"
    runs_python = shell or re.search(r"\bpython3?\s+-c\b", command)
    if runs_python and COMPLETED_IMPORT.search(command):
        return "completed"
    starts_pytest = command.lstrip().startswith(("pytest", "python"))
    if re.search(r"\bpytest\b", command) and (shell or starts_pytest):
        return "workspace" if "workspace" in command else "completed"
    if any(pattern.search(command) for pattern in WORKSPACE_RUN):
        return "workspace"
    return None


def run_steps(text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """[(section heading, [(kind, command), …])] in page order."""
    sections: list[tuple[str, list[tuple[str, str]]]] = [("(top)", [])]
    paragraph: list[str] = []
    fence: str | None = None

    def flush_prose() -> None:
        for span in SPAN.findall(" ".join(paragraph)):
            if kind := run_kind(span, shell=False):
                sections[-1][1].append((kind, span))
        paragraph.clear()

    for line in text.splitlines():
        opening = FENCE.match(line)
        if fence is not None:
            if line.startswith("```"):
                fence = None
            elif fence in SHELL_LANGUAGES:
                command = re.sub(r"(^|\s)#.*$", "", line)  # a comment explains, never runs
                if kind := run_kind(command, shell=True):
                    comment = line[len(command) :]
                    if kind == "workspace" and "completed" in comment:
                        kind = "mislabelled"  # runs your lesson, says it runs the completed code
                    sections[-1][1].append((kind, line.strip()))
        elif opening:
            flush_prose()
            fence = opening.group("lang")
        elif line.startswith("#"):
            flush_prose()
            sections.append((line.lstrip("#").strip(), []))
        elif not line.strip():
            flush_prose()
        else:
            paragraph.append(line)
    flush_prose()
    return sections


def documents_with_run_steps() -> list[tuple[str, str]]:
    import json

    documents = [(page.name, page.read_text(encoding="utf-8")) for page in PAGES]
    documents.append(("README.md", (settings.PROJECT_ROOT / "README.md").read_text("utf-8")))
    for notebook in sorted(settings.NOTEBOOKS_DIR.glob("lesson_*.ipynb")):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        text = "\n\n".join(
            "".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown"
        )
        documents.append((notebook.name, text))
    return documents


def completed_before_workspace(text: str) -> list[str]:
    problems = []
    for heading, steps in run_steps(text):
        if heading in NOT_RUN_STEPS:
            continue
        seen_workspace = False
        for kind, command in steps:
            if kind == "mislabelled":
                problems.append(
                    f"section {heading!r}: runs your lesson, not the completed code: {command}"
                )
            elif kind == "workspace":
                seen_workspace = True
            elif not seen_workspace:
                problems.append(f"section {heading!r}: {command}")
    return problems


@pytest.mark.parametrize(
    "name, text", documents_with_run_steps(), ids=[n for n, _ in documents_with_run_steps()]
)
def test_run_steps_run_your_own_code_first(name: str, text: str):
    problems = completed_before_workspace(text)
    assert not problems, (
        f"{name} runs the completed code before giving the form that runs your own lesson "
        "(give that first, in the same section):\n  " + "\n  ".join(problems)
    )


def test_the_run_step_rule_tells_the_two_apart():
    ok = "## Try it\n\n```bash\ncourse dev 3\ncourse dev 3 --solution\n```\n"
    assert completed_before_workspace(ok) == []
    assert completed_before_workspace("## Try it\n\nRun `course dev 3 --solution`.\n")
    assert completed_before_workspace(
        "## A\n\n`course dev 3`\n\n## B\n\n```bash\npython -m dagster_and_etl.lesson_5.x\n```\n"
    )
    shell_import = "## A\n\n```bash\npython -c 'from dagster_and_etl.lesson_2.defs import x'\n```\n"
    assert completed_before_workspace(shell_import)
    prose_import = "## A\n\nIt says `from dagster_and_etl.lesson_2.defs.assets import x`.\n"
    assert completed_before_workspace(prose_import) == []
    assert completed_before_workspace("## A\n\n```bash\npython3 -m pytest --nbmake nb/\n```\n")
    mislabelled = "## A\n\n```bash\ncourse dev 3\ncourse dev 2   # lesson 2's completed code\n```\n"
    assert completed_before_workspace(mislabelled)
    workspace_notebooks = "## A\n\n```bash\nCOURSE_TARGET=workspace pytest --nbmake x\n```\n"
    assert completed_before_workspace(workspace_notebooks) == []
