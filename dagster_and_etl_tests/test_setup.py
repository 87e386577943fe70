"""course.py, the set-up behind the README's two commands."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

from dagster_and_etl.course import settings

ROOT = settings.PROJECT_ROOT
BOOTSTRAP = ROOT / "course.py"


def load_bootstrap():
    spec = importlib.util.spec_from_file_location("course_bootstrap", BOOTSTRAP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_it_imports_only_the_standard_library():
    tree = ast.parse(BOOTSTRAP.read_text(encoding="utf-8"))
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for name in (
            [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module]
        )
    }
    assert imported and imported <= set(sys.stdlib_module_names), imported


def test_its_pythons_are_the_ones_pyproject_allows():
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    low, high = (part.strip().lstrip("<>=") for part in requires.split(","))
    first, last = int(low.split(".")[1]), int(high.split(".")[1])
    assert load_bootstrap().SUPPORTED == [(3, minor) for minor in range(first, last)]


def test_it_installs_the_uv_that_requirements_pin():
    assert load_bootstrap().pinned_uv().startswith("uv==")


def stamp_matches() -> bool:
    bootstrap = load_bootstrap()
    stamp = bootstrap.read_stamp()
    return bool(stamp) and stamp.get("inputs") == bootstrap.inputs_digest()


@pytest.mark.skipif(not stamp_matches(), reason=".venv/ was not set up by course.py")
def test_a_second_run_only_checks_and_takes_a_moment():
    started = time.monotonic()
    again = subprocess.run(
        [sys.executable, str(BOOTSTRAP), "setup"], capture_output=True, text=True, timeout=60
    )
    elapsed = time.monotonic() - started
    assert again.returncode == 0, again.stderr
    assert "installing" not in again.stderr and ".venv/ is ready" in again.stderr
    assert elapsed < 5, f"a re-run took {elapsed:.1f} s"


def scratch_project(folder: Path, requirements: str) -> Path:
    """A project with course.py and the given requirements.txt, nothing else."""
    folder.mkdir()
    shutil.copy(BOOTSTRAP, folder / "course.py")
    shutil.copy(ROOT / "pyproject.toml", folder / "pyproject.toml")
    (folder / "requirements.txt").write_text(requirements)
    return folder


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths")
def test_without_ensurepip_it_makes_the_environment_with_uv(tmp_path):
    """Debian and Ubuntu ship python3 without ensurepip unless python3-venv is installed."""
    uv = Path(sys.executable).with_name("uv")
    if not uv.exists():
        pytest.skip("uv is not installed beside this Python")
    project = scratch_project(tmp_path / "project", "# nothing to install\n")
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "uv").symlink_to(uv)
    env = {**os.environ, "PATH": f"{tools}{os.pathsep}/usr/bin{os.pathsep}/bin"}
    env.pop("COURSE_INSTALLER", None)
    without_ensurepip = (
        "import runpy, sys; sys.modules['ensurepip'] = None; sys.argv = ['course.py', 'setup']; "
        "runpy.run_path('course.py', run_name='__main__')"
    )
    setup = subprocess.run(
        [sys.executable, "-c", without_ensurepip], cwd=project, env=env,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert setup.returncode == 0, setup.stderr
    assert f"no ensurepip module); creating it with {tools / 'uv'}" in setup.stderr
    stamp = json.loads((project / ".venv" / ".course-installed.json").read_text())
    assert stamp["installer"] == "uv"
    assert (project / ".venv" / "bin" / "python").exists()


def test_an_unknown_command_prints_the_usage():
    shown = subprocess.run(
        [sys.executable, str(BOOTSTRAP), "serve"], capture_output=True, text=True, timeout=60
    )
    assert shown.returncode == 2
    assert "python3 course.py dev" in shown.stderr and "py course.py dev" in shown.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths")
def test_an_unsupported_python_hands_over_to_a_supported_one_on_path(tmp_path, monkeypatch):
    """Apple's own python3 is 3.9: course.py then runs itself with a python3.X from PATH."""
    bootstrap = load_bootstrap()
    this = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / this).symlink_to(sys.executable)
    monkeypatch.setenv("PATH", str(tools))
    monkeypatch.delenv("COURSE_PY_REEXEC", raising=False)
    monkeypatch.setattr(bootstrap, "VENV", str(tmp_path / ".venv"))  # none made yet
    apple = types.SimpleNamespace(
        version_info=(3, 9, 6), executable="/usr/bin/python3", stderr=sys.stderr
    )
    monkeypatch.setattr(bootstrap, "sys", apple)
    handed_over = []
    monkeypatch.setattr(bootstrap, "run_and_exit", handed_over.append)
    bootstrap.ensure_supported_python(["dev", "2"])
    assert handed_over == [[str(tools / this), str(BOOTSTRAP), "dev", "2"]]

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("COURSE_PY_REEXEC")
    with pytest.raises(bootstrap.SetupError, match="needs Python 3.10, 3.11, 3.12, 3.13"):
        bootstrap.ensure_supported_python(["dev"])
