"""A local S3-compatible server, so the cloud-storage steps run offline.

It is moto's server mode (`moto[server]`): a real HTTP server that speaks the
S3 API (buckets, PUT and GET, HEAD, paginated ListObjectsV2, ETags), so boto3
and DuckDB's httpfs talk to it exactly as they talk to AWS. It keeps objects
in memory: every start begins empty and is seeded again with the course's
source files, under `COURSE_S3_PREFIX` in the bucket `COURSE_S3_BUCKET`.

    course s3 start | status | stop       # a server in the background, on port 9000
    with LocalS3() as server: ...         # in tests and notebooks, on a free port
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from dagster_and_etl.course import settings

DEFAULT_PORT = 9000


def state_file() -> Path:
    """Where `course s3 start` notes the server's process and port (in COURSE_STAGING_DIR)."""
    return settings.staging_dir() / "s3_server.json"


class LocalS3:
    """moto's S3 server in a background thread of this process, until `stop()`.

    `port=0` picks a free port. `environment()` gives the settings that point
    the course at it.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host = host
        self.port = port
        self._server = None

    @property
    def url(self) -> str:
        """The endpoint to set as AWS_ENDPOINT_URL_S3."""
        return f"http://{self.host}:{self.port}"

    def environment(self) -> dict[str, str]:
        """The settings that point boto3 and DuckDB at this server."""
        from dagster_and_etl.course.object_store import (
            LOCAL_ACCESS_KEY_ID,
            LOCAL_REGION,
            LOCAL_SECRET_ACCESS_KEY,
        )

        return {
            "AWS_ENDPOINT_URL_S3": self.url,
            "AWS_REGION": LOCAL_REGION,
            "COURSE_S3_URL_STYLE": "path",
            "AWS_ACCESS_KEY_ID": LOCAL_ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": LOCAL_SECRET_ACCESS_KEY,
        }

    def start(self) -> LocalS3:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        self._server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        self._server.start()
        self.port = self._server.get_host_and_port()[1]
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> LocalS3:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def client(self):
        """A boto3 client signed with the server's throwaway keys."""
        from dagster_and_etl.course.object_store import S3Settings, s3_client

        env = self.environment()
        return s3_client(
            S3Settings(
                endpoint_url=env["AWS_ENDPOINT_URL_S3"],
                region=env["AWS_REGION"],
                url_style="path",
                access_key_id=env["AWS_ACCESS_KEY_ID"],
                secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                session_token="",
            )
        )

    def seed(self, bucket: str | None = None, prefix: str | None = None) -> list[str]:
        """Create `bucket` (if needed) and upload the source folder's CSV files under `prefix`."""
        return seed(self.client(), bucket, prefix)


def course_bucket() -> str:
    return settings.get("COURSE_S3_BUCKET")


def course_prefix() -> str:
    return settings.get("COURSE_S3_PREFIX")


def seed(client, bucket: str | None = None, prefix: str | None = None) -> list[str]:
    """Create `bucket` if needed and upload data/source/*.csv as <prefix><name>; return the keys."""
    bucket = bucket or course_bucket()
    prefix = course_prefix() if prefix is None else prefix
    existing = {item["Name"] for item in client.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        client.create_bucket(Bucket=bucket)
    keys = []
    for path in sorted(settings.source_dir().glob("*.csv")):
        key = f"{prefix}{path.name}"
        client.upload_file(str(path), bucket, key)
        keys.append(key)
    return keys


# `course s3 start | status | stop`: the server in a process of its own --------------


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _read_state() -> dict | None:
    try:
        state = json.loads(state_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    try:
        os.kill(state["pid"], 0)
    except (OSError, KeyError):
        return None  # that process has gone
    return state


def status() -> str:
    state = _read_state()
    if state is None:
        return "The course's S3 server is not running. Start it with `course s3 start`."
    return (
        f"The course's S3 server runs at http://{state['host']}:{state['port']} "
        f"(process {state['pid']}), with the bucket {state['bucket']!r}."
    )


def default_port() -> int:
    """The port of AWS_ENDPOINT_URL_S3 when it names this machine, else 9000."""
    from urllib.parse import urlsplit

    from dagster_and_etl.course.object_store import _is_local

    endpoint = settings.get("AWS_ENDPOINT_URL_S3")
    if endpoint and _is_local(endpoint) and urlsplit(endpoint).port:
        return urlsplit(endpoint).port
    return DEFAULT_PORT


def settings_hint(host: str, port: int) -> str:
    """What to set: the endpoint. With a local endpoint, the region, URL style and
    throwaway keys default to what this server accepts."""
    return f"    AWS_ENDPOINT_URL_S3=http://{host}:{port}"


def start_background(port: int = DEFAULT_PORT, host: str = "127.0.0.1") -> dict:
    """Start the server in its own process (if it is not running), seed it, return its state."""
    state = _read_state()
    if state is not None:
        return state
    if _port_open(host, port):
        raise RuntimeError(
            f"Port {port} on {host} is taken by another program. Start on another port with "
            "`course s3 start --port 9100`, and set AWS_ENDPOINT_URL_S3 to match."
        )
    state_path = state_file()
    state_path.parent.mkdir(parents=True, exist_ok=True)
    log = state_path.with_suffix(".log").open("w", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "dagster_and_etl.course.s3_server", host, str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # keeps running after `course s3 start` returns
    )
    deadline = time.monotonic() + 30
    while not _port_open(host, port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(
                f"The S3 server did not start; its log is {state_path.with_suffix('.log')}."
            )
        time.sleep(0.1)
    try:
        seed(LocalS3(host, port).client())
    except Exception:
        os.kill(process.pid, signal.SIGTERM)
        raise
    state = {"pid": process.pid, "host": host, "port": port, "bucket": course_bucket()}
    state_path.write_text(json.dumps(state), encoding="utf-8")
    return state


def stop_background() -> bool:
    """Stop the background server; False when none was running."""
    state = _read_state()
    state_file().unlink(missing_ok=True)
    if state is None:
        return False
    os.kill(state["pid"], signal.SIGTERM)
    deadline = time.monotonic() + 10
    while _port_open(state["host"], state["port"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return True


def _serve(host: str, port: int) -> None:
    """The background process: serve until SIGTERM."""
    server = LocalS3(host, port).start()
    stopped = []
    signal.signal(signal.SIGTERM, lambda *_: stopped.append(True))
    try:
        while not stopped:
            time.sleep(0.5)
    finally:
        server.stop()


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]))
