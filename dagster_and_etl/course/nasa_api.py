"""What to tell a learner when the NeoWs API fails: NASA's, or the course's stand-in.

Kept apart from `nasa_server.py` so the lessons' resources do not import the
stand-in's web server.
"""

from urllib.parse import urlsplit

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}


def is_local(base_url: str) -> bool:
    """Whether `base_url` points at this machine (so, in the course, at the stand-in)."""
    return (urlsplit(base_url).hostname or "") in LOCAL_HOSTS


def what_to_try(base_url: str, reached: bool) -> str:
    """The next step after the NeoWs API at `base_url` failed, in one or two sentences.

    `reached` says whether the server answered at all (a status) or not (a
    connection error or time-out).
    """
    if not reached and is_local(base_url):
        return (
            f"Nothing answers at {base_url}: start the course's stand-in with "
            "`course nasa-server` and set NASA_API_BASE_URL to the URL it prints (or leave "
            "it empty for NASA's own API), then run again."
        )
    if not reached:
        return (
            f"Check your internet connection and NASA_API_BASE_URL (now {base_url}). "
            "Offline, run `course nasa-server` and set NASA_API_BASE_URL to the URL it prints."
        )
    return f"The API at {base_url} is up but failing: run it again in a few minutes."
