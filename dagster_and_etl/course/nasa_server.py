"""A local stand-in for NASA's Near Earth Object Web Service (NeoWs) feed.

It answers `GET /neo/rest/v1/feed?start_date=…&end_date=…&api_key=…` with the
structure of the real API, so lesson 4 runs offline with the same code that
talks to api.nasa.gov. Every payload is generated from the date: the same day
always returns the same asteroids, and no recorded data is involved.

Like the real API it refuses a missing or unknown key (403), a malformed date
and a range longer than seven days (400). For tests it can also misbehave on
request: answer 429 with `Retry-After`, 500 or 503, or answer slowly.

    course nasa-server                      # prints the base URL to set
    with NeoWsServer() as server: ...       # in tests and notebooks, on a free port
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import math
import random
import threading
import time
from collections import deque
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

FEED_PATH = "/neo/rest/v1/feed"
DEMO_KEY = "DEMO_KEY"
MAX_RANGE_DAYS = 7
AU_KM = 149_597_870.7
LUNAR_KM = 384_400.0


@dataclass
class Fault:
    """One planned misbehaviour: answer `status` (after `delay` seconds) instead of data."""

    status: int = 200
    delay: float = 0.0
    retry_after: int | None = None


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256(":".join(map(str, ("neows", *parts))).encode()).hexdigest()
    return random.Random(int(digest[:16], 16))


def _diameters(magnitude: float) -> dict[str, dict[str, float]]:
    # Diameter from absolute magnitude for albedos between 0.25 and 0.05.
    km_min = 1329 / math.sqrt(0.25) * 10 ** (-magnitude / 5)
    km_max = 1329 / math.sqrt(0.05) * 10 ** (-magnitude / 5)
    units = {"kilometers": 1.0, "meters": 1000.0, "miles": 0.621371, "feet": 3280.84}
    return {
        unit: {
            "estimated_diameter_min": round(km_min * factor, 6),
            "estimated_diameter_max": round(km_max * factor, 6),
        }
        for unit, factor in units.items()
    }


def asteroids_for(day: dt.date, base_url: str = "http://127.0.0.1") -> list[dict]:
    """The near-Earth objects approaching on `day`, generated from the date alone."""
    rng = _rng(day.isoformat())
    objects = []
    ids: set[int] = set()
    for index in range(rng.randint(6, 18)):
        neo_id = rng.randint(2_000_000, 54_999_999)
        while neo_id in ids:
            neo_id += 1
        ids.add(neo_id)
        year = rng.randint(1995, day.year)
        letters = "".join(rng.choice("ABCDEFGHJKLMNOPQRSTUVWXY") for _ in range(2))
        name = f"({year} {letters}{rng.randint(1, 99)})"
        magnitude = round(rng.uniform(16.0, 30.0), 2)
        miss_au = 0.5 * rng.random() ** 2 + 0.0005
        velocity_kps = rng.uniform(2.0, 35.0)
        approach = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=rng.randint(0, 1439))
        objects.append(
            {
                "links": {"self": f"{base_url}/neo/rest/v1/neo/{neo_id}"},
                "id": str(neo_id),
                "neo_reference_id": str(neo_id),
                "name": name,
                "nasa_jpl_url": f"https://ssd.jpl.nasa.gov/tools/sbdb_lookup.html#/?sstr={neo_id}",
                "absolute_magnitude_h": magnitude,
                "estimated_diameter": _diameters(magnitude),
                "is_potentially_hazardous_asteroid": magnitude <= 22.0 and miss_au <= 0.05,
                "close_approach_data": [
                    {
                        "close_approach_date": day.isoformat(),
                        "close_approach_date_full": approach.strftime("%Y-%b-%d %H:%M"),
                        "epoch_date_close_approach": int(
                            approach.replace(tzinfo=dt.timezone.utc).timestamp() * 1000
                        ),
                        # The real API sends these numbers as strings; so do we.
                        "relative_velocity": {
                            "kilometers_per_second": f"{velocity_kps:.10f}",
                            "kilometers_per_hour": f"{velocity_kps * 3600:.10f}",
                            "miles_per_hour": f"{velocity_kps * 3600 * 0.621371:.10f}",
                        },
                        "miss_distance": {
                            "astronomical": f"{miss_au:.10f}",
                            "lunar": f"{miss_au * AU_KM / LUNAR_KM:.9f}",
                            "kilometers": f"{miss_au * AU_KM:.8f}",
                            "miles": f"{miss_au * AU_KM * 0.621371:.8f}",
                        },
                        "orbiting_body": "Earth",
                    }
                ],
                "is_sentry_object": index == 0 and magnitude > 27,
            }
        )
    return objects


def _error(status: int, message: str, code: str | None = None) -> JSONResponse:
    if status == 403:
        body = {"error": {"code": code or "API_KEY_INVALID", "message": message}}
    else:
        body = {"code": status, "http_error": code or "BAD_REQUEST", "error_message": message}
    return JSONResponse(body, status_code=status)


def _parse_date(value: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None


class NeoWsServer:
    """The stand-in server, running in a background thread until `stop()`.

    `api_key` is the key it accepts besides DEMO_KEY. `port=0` picks a free port.
    """

    def __init__(self, api_key: str = "COURSE_KEY", host: str = "127.0.0.1", port: int = 0):
        self.api_key = api_key
        self.host = host
        self.port = port
        self.requests: list[dict[str, str]] = []
        # When each feed request arrived (time.monotonic()), to measure waits between retries.
        self.request_times: list[float] = []
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.app = Starlette(
            routes=[
                Route(FEED_PATH, self._feed),
                Route("/_course/faults", self._add_faults, methods=["POST"]),
                Route("/_course/health", lambda request: JSONResponse({"ok": True})),
            ]
        )

    @property
    def url(self) -> str:
        """The base URL to set as NASA_API_BASE_URL."""
        return f"http://{self.host}:{self.port}"

    def fail_next(
        self, status: int, times: int = 1, retry_after: int | None = None, delay: float = 0.0
    ) -> None:
        """Answer the next `times` feed requests with `status` (200 with `delay` = slow)."""
        with self._lock:
            self._faults.extend(Fault(status, delay, retry_after) for _ in range(times))

    async def _add_faults(self, request: Request) -> JSONResponse:
        plan = await request.json()
        self.fail_next(
            int(plan.get("status", 200)),
            int(plan.get("times", 1)),
            plan.get("retry_after"),
            float(plan.get("delay", 0.0)),
        )
        return JSONResponse({"planned": len(self._faults)})

    async def _feed(self, request: Request) -> JSONResponse:
        params = dict(request.query_params)
        with self._lock:
            self.requests.append(params)
            self.request_times.append(time.monotonic())
            fault = self._faults.popleft() if self._faults else None
        if fault and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault and fault.status != 200:
            headers = (
                {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            )
            response = _error(fault.status, f"Injected {fault.status} for testing", "FAULT")
            response.headers.update(headers)
            return response

        key = params.get("api_key")
        if not key:
            return _error(
                403, "No api_key was supplied. Get one at https://api.nasa.gov", "API_KEY_MISSING"
            )
        if key not in (self.api_key, DEMO_KEY):
            return _error(403, "An invalid api_key was supplied. Get one at https://api.nasa.gov")

        start = _parse_date(params.get("start_date", dt.date.today().isoformat()))
        end_text = params.get("end_date")
        end = _parse_date(end_text) if end_text else start and start + dt.timedelta(days=7)
        if start is None or end is None:
            return _error(400, "Date Format Exception - Expected format (yyyy-mm-dd)")
        if end < start:
            return _error(400, "Date Format Exception - end_date is before start_date")
        if (end - start).days > MAX_RANGE_DAYS:
            return _error(400, "Date Format Exception - The Feed date limit is only 7 Days")

        base = f"{request.url.scheme}://{request.url.netloc}"
        days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
        near_earth_objects = {day.isoformat(): asteroids_for(day, base) for day in days}
        return JSONResponse(
            {
                "links": {"self": str(request.url)},
                "element_count": sum(len(objects) for objects in near_earth_objects.values()),
                "near_earth_objects": near_earth_objects,
            }
        )

    def start(self) -> NeoWsServer:
        config = uvicorn.Config(
            self.app, host=self.host, port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="neows", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the NeoWs stand-in could not start on {self.host}:{self.port}")
            time.sleep(0.02)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> NeoWsServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Run in the foreground (the `course nasa-server` command) until interrupted."""
        uvicorn.run(self.app, host=self.host, port=self.port, log_level="info")
