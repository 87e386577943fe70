"""Set up the course in .venv/ and run it. Standard library only, Python 3.7 or newer.

    python3 course.py dev     the Dagster UI on your workspace (http://127.0.0.1:3000)
    python3 course.py test    the whole test suite, notebooks included
    python3 course.py setup   only the set-up (Codespaces and CI run this first)

On Windows type `py course.py dev`. Anything after the command goes to it:
`python3 course.py dev 2` serves lesson 2's completed code, `python3 course.py
test dagster_and_etl_tests/test_lesson_2.py` runs one lesson's tests.

The first run creates .venv/ in the repository with the Python that runs this
file (or, if that one is not 3.10 to 3.13, a python3.13 ... python3.10 found on
PATH) and installs requirements.txt, the packages pinned by uv.lock, into it: with
uv, installed into .venv/ by pip, or with pip alone when uv does not work. Nothing
is installed outside .venv/, so this works with an "externally managed" system
Python too. Later runs only check that .venv/ matches requirements.txt and
pyproject.toml, which takes a moment, and then start the command.

COURSE_INSTALLER=pip makes the set-up use pip only.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.join(ROOT, ".venv")
REQUIREMENTS = os.path.join(ROOT, "requirements.txt")
PYPROJECT = os.path.join(ROOT, "pyproject.toml")
STAMP = os.path.join(VENV, ".course-installed.json")
LOCK = os.path.join(ROOT, ".venv.lock")
# Keep in step with requires-python in pyproject.toml (a test checks it).
SUPPORTED = [(3, 10), (3, 11), (3, 12), (3, 13)]
WINDOWS = os.name == "nt"
COMMANDS = {
    "dev": ["-m", "dagster_and_etl.course", "dev"],
    "test": ["-m", "pytest"],
    "setup": None,
}


class SetupError(Exception):
    """A problem the learner can fix: the message says how."""


def say(message):
    print("course.py: " + message, file=sys.stderr, flush=True)


def versions_text():
    return ", ".join(f"{major}.{minor}" for major, minor in SUPPORTED)


def this_version():
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def venv_python():
    if WINDOWS:
        return os.path.join(VENV, "Scripts", "python.exe")
    return os.path.join(VENV, "bin", "python")


def venv_tool(name):
    if WINDOWS:
        return os.path.join(VENV, "Scripts", name + ".exe")
    return os.path.join(VENV, "bin", name)


def python_version(python):
    """(major, minor) of an interpreter, or None if it does not run."""
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print('%d %d' % sys.version_info[:2])"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    major, minor = out.stdout.split()
    return int(major), int(minor)


# -- which Python -------------------------------------------------------------------------


def other_supported_python():
    """A supported interpreter on PATH when the one running this file is not (newest first)."""
    for major, minor in reversed(SUPPORTED):
        if WINDOWS:
            launcher = shutil.which("py")
            candidates = [[launcher, f"-{major}.{minor}"]] if launcher else []
        else:
            found = shutil.which(f"python{major}.{minor}")
            candidates = [[found]] if found else []
        for command in candidates:
            try:
                out = subprocess.run(
                    command + ["-c", "import sys; print(sys.executable)"],
                    capture_output=True, text=True, timeout=60,
                )  # fmt: skip
            except (OSError, subprocess.SubprocessError):
                continue
            if out.returncode == 0 and out.stdout.strip():
                return out.stdout.strip()
    return None


def ensure_supported_python(argv):
    """Re-run this file with a supported Python if this one is not and .venv/ is not ready."""
    if sys.version_info[:2] in SUPPORTED or os.environ.pop("COURSE_PY_REEXEC", None):
        return
    if os.path.exists(venv_python()) and python_version(venv_python()) in SUPPORTED:
        return  # .venv/ was made earlier with a supported Python: this one only launches it
    other = other_supported_python()
    if other is None:
        raise SetupError(
            f"the course needs Python {versions_text()}, and this is Python {this_version()} "
            f"({sys.executable}), with no other supported Python on PATH. Install one "
            "(python.org, your package manager, pyenv or `uv python install 3.12`) and run "
            "this file with it, for example `python3.12 course.py dev` (Windows: `py -3.12 "
            "course.py dev`)."
        )
    say(f"Python {this_version()} is not supported by the course; using {other}")
    os.environ["COURSE_PY_REEXEC"] = "1"
    run_and_exit([other, os.path.abspath(__file__)] + argv)


# -- .venv/ ---------------------------------------------------------------------------------


def inputs_digest():
    """What .venv/ is installed from: the pins (requirements.txt) and the project itself."""
    digest = hashlib.sha256()
    for path in (REQUIREMENTS, PYPROJECT):
        with open(path, "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()


def read_stamp():
    try:
        with open(STAMP, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def inside_course_venv():
    return os.path.normcase(os.path.realpath(sys.prefix)) == os.path.normcase(
        os.path.realpath(VENV)
    )


def create_venv():
    """A fresh .venv/ with pip, made by the Python running this file."""
    import venv

    say(f"creating .venv/ with Python {sys.version.split()[0]} ({sys.executable})")
    if os.path.exists(VENV):
        shutil.rmtree(VENV)
    reason = "it has no ensurepip module"  # Debian and Ubuntu without python3-venv
    if has_module("ensurepip"):
        try:
            builder = venv.EnvBuilder(with_pip=True, symlinks=not WINDOWS, prompt="dagster-and-etl")
            builder.create(VENV)
            return
        except Exception as error:
            reason = str(error)
        shutil.rmtree(VENV, ignore_errors=True)
    # This Python cannot put pip into a virtual environment. Two ways around that which
    # need no administrator rights: uv on PATH, or the pip this Python already has.
    uv = shutil.which("uv")
    if uv:
        say(f"this Python cannot put pip into .venv/ ({reason}); creating it with {uv}")
        run([uv, "venv", "--quiet", "--python", sys.executable, VENV])
        return
    if has_module("pip"):
        say(f"this Python cannot put pip into .venv/ ({reason}); using its own pip")
        venv.EnvBuilder(with_pip=False, symlinks=not WINDOWS, prompt="dagster-and-etl").create(VENV)
        run([sys.executable, "-m", "pip", "--python", venv_python(), "install", "--quiet", "pip"])
        return
    raise SetupError(
        f"this Python ({sys.executable}) cannot create a virtual environment with pip in "
        f"it ({reason}), and neither uv nor pip is at hand. On Debian or Ubuntu install that once "
        "with `sudo apt install python3-venv`; or install uv (https://docs.astral.sh/uv/) "
        "and run this command again; or run it with another Python "
        f"{versions_text()} (python.org, pyenv)."
    )


def has_module(name):
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def venv_has_pip():
    return (
        subprocess.run(
            [venv_python(), "-c", "import pip"], capture_output=True, timeout=120
        ).returncode
        == 0
    )


def pinned_uv():
    """uv's pin in requirements.txt, the line `uv==X`."""
    with open(REQUIREMENTS, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("uv=="):
                return line.split(";")[0].strip()
    return None


def get_uv():
    """The pinned uv inside .venv/ (installed there by pip), else one on PATH, else None."""
    if os.environ.get("COURSE_INSTALLER", "").lower() == "pip":
        return None
    uv = venv_tool("uv")
    if os.path.exists(uv):
        return uv
    if venv_has_pip() and pinned_uv():
        quiet = subprocess.run(
            [venv_python(), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             pinned_uv()],
        )  # fmt: skip
        if quiet.returncode == 0 and os.path.exists(uv):
            return uv
        say("could not install uv into .venv/; installing with pip instead")
    return shutil.which("uv")


def install():
    """Install requirements.txt into .venv/: uv if it works, pip if not."""
    uv = get_uv()
    if uv:
        say("installing the pinned packages with uv (a few minutes the first time)")
        command = [uv, "pip", "install", "--python", venv_python(), "--compile-bytecode",
                   "-r", REQUIREMENTS]  # fmt: skip
        if subprocess.run(command, cwd=ROOT).returncode == 0:
            return "uv"
        if not venv_has_pip():
            raise SetupError("uv could not install requirements.txt (see above).")
        say("uv could not install requirements.txt (see above); trying pip")
    say("installing the pinned packages with pip (several minutes the first time)")
    run(
        [venv_python(), "-m", "pip", "install", "--disable-pip-version-check",
         "-r", REQUIREMENTS],
        cwd=ROOT,
    )  # fmt: skip
    return "pip"


def check_installed(stamp):
    """A quick look that what .venv/ holds still matches the pins (uv only; offline)."""
    if stamp.get("installer") != "uv" or not os.path.exists(venv_tool("uv")):
        return subprocess.run([venv_python(), "-c", ""], capture_output=True).returncode == 0
    command = [venv_tool("uv"), "pip", "install", "--quiet", "--offline", "--python",
               venv_python(), "--compile-bytecode", "-r", REQUIREMENTS]  # fmt: skip
    return subprocess.run(command, cwd=ROOT, capture_output=True).returncode == 0


def is_ready():
    """The quick path: .venv/ was set up from these very files and still matches them."""
    stamp = read_stamp()
    return (
        stamp is not None
        and stamp.get("inputs") == inputs_digest()
        and os.path.exists(venv_python())
        and check_installed(stamp)
    )


def ensure_environment():
    """.venv/ with everything in requirements.txt installed; returns its Python."""
    if is_ready():
        return venv_python()
    with setup_lock():
        if is_ready():  # another course.py finished the set-up while this one waited
            return venv_python()
        started = time.monotonic()
        if os.path.exists(STAMP):
            os.remove(STAMP)
        version = python_version(venv_python()) if os.path.exists(venv_python()) else None
        if version not in SUPPORTED:
            if inside_course_venv():
                raise SetupError(
                    f"the active .venv/ runs Python {this_version()}; deactivate it, delete "
                    f".venv/ and run this command again with Python {versions_text()}."
                )
            create_venv()
            version = python_version(venv_python())
            if version is None:
                raise SetupError("the new .venv/ has no working Python: delete it and retry.")
        installer = install()
        with open(STAMP, "w", encoding="utf-8") as handle:
            json.dump(
                {
                    "inputs": inputs_digest(),
                    "python": f"{version[0]}.{version[1]}",
                    "installer": installer,
                },
                handle,
            )
        say(
            f"set up .venv/ (Python {version[0]}.{version[1]}, with {installer}) "
            f"in {time.monotonic() - started:.0f} s"
        )
    return venv_python()


class setup_lock:
    """One set-up at a time: a second course.py waits for the first (Codespaces, two terminals)."""

    def __enter__(self):
        self.handle = open(LOCK, "a+")
        if WINDOWS:
            import msvcrt

            while True:
                try:
                    msvcrt.locking(self.handle.fileno(), msvcrt.LK_NBLCK, 1)
                    return self
                except OSError:
                    time.sleep(1)
        import fcntl

        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            say("another course.py is setting up .venv/; waiting for it")
            fcntl.flock(self.handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc_info):
        self.handle.close()


# -- running things -------------------------------------------------------------------------


def run(command, **kwargs):
    if subprocess.run(command, **kwargs).returncode != 0:
        raise SetupError("this failed: " + " ".join(command))


def activate():
    """What `source .venv/bin/activate` does, for the command and everything it starts."""
    os.environ["VIRTUAL_ENV"] = VENV
    os.environ["PATH"] = os.path.dirname(venv_python()) + os.pathsep + os.environ.get("PATH", "")
    os.environ.pop("PYTHONHOME", None)


def run_and_exit(command):
    """Become `command` (POSIX), so Ctrl-C and signals reach it directly."""
    sys.stdout.flush()
    sys.stderr.flush()
    if WINDOWS:
        try:
            sys.exit(subprocess.call(command))
        except KeyboardInterrupt:
            sys.exit(130)
    os.execv(command[0], command)


def main(argv):
    if not argv or argv[0] not in COMMANDS:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        ensure_supported_python(argv)
        python = ensure_environment()
    except SetupError as error:
        say(str(error))
        return 1
    if COMMANDS[argv[0]] is None:
        say(".venv/ is ready; `python3 course.py dev` starts the UI")
        return 0
    os.chdir(ROOT)
    activate()
    run_and_exit([python] + COMMANDS[argv[0]] + argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
