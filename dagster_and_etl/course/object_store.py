"""S3 access for the lessons: one place that reads the S3 settings.

The same code talks to AWS or to the course's local S3 server (`course s3
start`); only settings differ (see .env.example):

- AWS_ENDPOINT_URL_S3: empty means AWS. For the local server, the URL it
  prints, such as http://127.0.0.1:9000.
- AWS_REGION: the bucket's region (the local server accepts any).
- COURSE_S3_URL_STYLE: `path` (http://host/bucket/key, what local servers
  expect; the default with an endpoint) or `vhost` (http://bucket.host/key,
  AWS's default).
- AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN): when they are
  not set, both boto3 and DuckDB use AWS's standard credential chain: a
  profile in ~/.aws/, SSO, or the machine's role. A local endpoint with no
  keys set uses the course's throwaway keys, which the local server accepts.

`duckdb_use_s3(conn)` lets a DuckDB connection read `s3://` URIs;
`s3_client()` is a boto3 client for listing and checking objects.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import dagster as dg
import duckdb

from dagster_and_etl.course import settings
from dagster_and_etl.course.duckdb_extensions import load_extensions

# Keys the local server accepts (it accepts any); never real credentials.
LOCAL_ACCESS_KEY_ID = "course"
LOCAL_SECRET_ACCESS_KEY = "course-secret"
LOCAL_REGION = "us-east-1"


@dataclass(frozen=True)
class S3Settings:
    """Where S3 is and how to sign in, read from the course settings."""

    endpoint_url: str
    region: str
    url_style: str
    access_key_id: str
    secret_access_key: str
    session_token: str

    @classmethod
    def from_env(cls) -> S3Settings:
        endpoint = settings.get("AWS_ENDPOINT_URL_S3").rstrip("/")
        key_id = settings.get("AWS_ACCESS_KEY_ID")
        secret = settings.get("AWS_SECRET_ACCESS_KEY")
        if endpoint and not key_id and _is_local(endpoint):
            key_id, secret = LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY
        return cls(
            endpoint_url=endpoint,
            region=settings.get("AWS_REGION") or (LOCAL_REGION if endpoint else ""),
            url_style=settings.get("COURSE_S3_URL_STYLE") or ("path" if endpoint else "vhost"),
            access_key_id=key_id,
            secret_access_key=secret,
            session_token=settings.get("AWS_SESSION_TOKEN"),
        )

    def describe(self) -> str:
        """Where requests go, for messages: the endpoint, or AWS and its region."""
        if self.endpoint_url:
            return f"the S3 endpoint {self.endpoint_url}"
        return f"AWS S3 ({self.region or 'region from your AWS configuration'})"


def _is_local(endpoint: str) -> bool:
    host = urlsplit(endpoint).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def duckdb_use_s3(conn: duckdb.DuckDBPyConnection, s3: S3Settings | None = None) -> None:
    """Let `conn` read s3:// URIs: load httpfs and aws (offline) and add a secret for S3.

    The secret is temporary: it lives as long as the connection and is never
    written to disk. Values are bound parameters.
    """
    s3 = s3 or S3Settings.from_env()
    load_extensions(conn, "httpfs", "aws")
    if s3.access_key_id:
        options = {"provider": "config", "key_id": s3.access_key_id}
        options["secret"] = s3.secret_access_key
        if s3.session_token:
            options["session_token"] = s3.session_token
    else:
        options = {"provider": "credential_chain"}
    if s3.region:
        options["region"] = s3.region
    options["url_style"] = s3.url_style
    if s3.endpoint_url:
        parts = urlsplit(s3.endpoint_url)
        options["endpoint"] = parts.netloc
        options["use_ssl"] = parts.scheme == "https"
    # The option names are ours; only the values come from settings, and they are bound.
    provider = options.pop("provider")
    clauses = ", ".join(f"{name} ?" for name in options)
    try:
        conn.execute(
            f"create or replace temporary secret course_s3 (type s3, provider {provider}, "
            f"{clauses})",
            list(options.values()),
        )
    except duckdb.Error as error:
        raise dg.Failure(
            description=(
                f"DuckDB found no AWS credentials for {s3.describe()}. Set AWS_ACCESS_KEY_ID "
                "and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, in .env or your shell; or, to work "
                "offline, run `course s3 start` and set the AWS_ENDPOINT_URL_S3 it prints. "
                f"DuckDB said: {error}"
            )
        ) from error


def s3_client(s3: S3Settings | None = None):
    """A boto3 S3 client for the same settings DuckDB uses."""
    import boto3
    from botocore.config import Config

    s3 = s3 or S3Settings.from_env()
    return boto3.client(
        "s3",
        endpoint_url=s3.endpoint_url or None,
        region_name=s3.region or None,
        aws_access_key_id=s3.access_key_id or None,
        aws_secret_access_key=s3.secret_access_key or None,
        aws_session_token=s3.session_token or None,
        config=Config(
            s3={"addressing_style": "virtual" if s3.url_style == "vhost" else "path"},
            retries={"max_attempts": 2},
            connect_timeout=5,
        ),
    )


def s3_uri(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key.lstrip('/')}"


@contextmanager
def s3_errors(bucket: str, s3: S3Settings | None = None) -> Iterator[None]:
    """Turn what S3 answers for an unreachable endpoint, missing credentials or a missing
    bucket into a `dg.Failure` that says what to do. Other errors pass through."""
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

    s3 = s3 or S3Settings.from_env()
    try:
        yield
    except EndpointConnectionError as error:
        raise dg.Failure(
            description=(
                f"{s3.describe()} is not reachable. Start the course's S3 server with "
                "`course s3 start`, or unset AWS_ENDPOINT_URL_S3 to use AWS."
            )
        ) from error
    except NoCredentialsError as error:
        raise dg.Failure(
            description=(
                f"No AWS credentials were found for {s3.describe()}. Set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) in .env or your shell."
            )
        ) from error
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "NoSuchBucket":
            raise
        raise _no_bucket(s3, bucket) from error


def _no_bucket(s3: S3Settings, bucket: str, key: str | None = None) -> dg.Failure:
    """The one message for a bucket that does not exist (and the key asked for in it)."""
    in_it = f", so no key {key!r} in it" if key else ""
    return dg.Failure(
        description=(
            f"There is no bucket {bucket!r} at {s3.describe()}{in_it}. Check COURSE_S3_BUCKET "
            "(or the bucket in run config); `course s3 start` creates and fills the "
            f"course's bucket, {settings.get('COURSE_S3_BUCKET')!r}."
        ),
        metadata={"bucket": bucket, **({"key": key} if key else {})},
    )


def require_object(bucket: str, key: str, client=None) -> dict:
    """The object's size, ETag and last-modified time, or a `dg.Failure` that says what is missing.

    Tells a missing bucket from a missing key, lists a few keys that do exist
    next to the one asked for, and says when the endpoint cannot be reached.
    """
    from botocore.exceptions import ClientError

    s3 = S3Settings.from_env()
    client = client or s3_client(s3)
    key = key.lstrip("/")
    try:
        with s3_errors(bucket, s3):
            head = client.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status != 404:
            raise dg.Failure(
                description=(
                    f"Could not read s3://{bucket}/{key} at {s3.describe()} (HTTP {status}). "
                    "Check the credentials and the bucket's permissions."
                )
            ) from error
        raise _missing(client, s3, bucket, key) from error
    return {
        "size_bytes": head["ContentLength"],
        "etag": head["ETag"].strip('"'),
        "last_modified": head["LastModified"].isoformat(),
    }


def _missing(client, s3: S3Settings, bucket: str, key: str) -> dg.Failure:
    from botocore.exceptions import ClientError

    folder = key.rpartition("/")[0] + "/" if "/" in key else ""
    try:
        listing = client.list_objects_v2(Bucket=bucket, Prefix=folder, MaxKeys=20)
    except ClientError:
        return _no_bucket(s3, bucket, key)
    present = [item["Key"] for item in listing.get("Contents", [])]
    shown = ", ".join(present) if present else "none"
    return dg.Failure(
        description=(
            f"There is no object {key!r} in the bucket {bucket!r} at {s3.describe()}. "
            f"Keys under {folder or 'the bucket root'!r}: {shown}."
        ),
        metadata={"bucket": bucket, "key": key, "keys_nearby": present},
    )
