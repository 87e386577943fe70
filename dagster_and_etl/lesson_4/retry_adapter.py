"""Optional, not graded: the library alternative to NASAResource's hand-written retry loop.

It sits outside defs/, so lesson 4's code location does not load it; lesson 4,
Step 6 quotes it, and a test runs it against the NeoWs stand-in.
"""

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .defs.resources import RETRY_STATUSES


def session_with_retries(
    max_attempts: int = 5, backoff_seconds: float = 1.0, max_wait_seconds: float = 60.0
) -> requests.Session:
    """A requests session whose GETs retry connection errors and RETRY_STATUSES."""
    retry = Retry(
        total=max_attempts - 1,  # urllib3 counts retries, not attempts
        status_forcelist=RETRY_STATUSES,
        allowed_methods={"GET"},  # only requests that are safe to send twice
        backoff_factor=backoff_seconds,  # 0, then 2x, 4x, 8x backoff_seconds …
        backoff_max=max_wait_seconds,
        respect_retry_after_header=True,
        # Give back the last answer instead of raising urllib3's MaxRetryError, so
        # the caller can still write a message that names NASA and the status.
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
