"""A fake Explore Education Statistics public data API on 127.0.0.1, for the `etl fetch` tests.

It answers as the documented API does (https://api.education.gov.uk/statistics/v1/, DfE's
explore-education-statistics repository):

- `GET /v1/publications/{publicationId}/data-sets?page=N&pageSize=M`: one page of the
  publication's data sets, `{"paging": {"page", "pageSize", "totalResults", "totalPages"},
  "results": [...]}`. `page` defaults to 1 and `pageSize` to 10; a page under 1 or a pageSize
  outside 1-20 is HTTP 400; a page past the last is empty.
- `GET /v1/data-sets/{dataSetId}/csv`: the data set's CSV.
- Anything unknown (publication, data set, path): HTTP 404 with an `application/problem+json` body.

A test can queue faults for a path (and, for a listing, one page): another status with headers
(429 or 503 with `Retry-After`), another body (an HTML error page with status 200), or a delay
before the status line, after which the API answers as usual unless the fault says otherwise.
"""

from __future__ import annotations

import http.server
import json
import math
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

MAX_PAGE_SIZE = 20  # the API's own limit (its ListDataSetsRequest validator)
HTML_ERROR_PAGE = b"<!DOCTYPE html><html><head><title>Service unavailable</title></head><body>Sorry</body></html>"


@dataclass
class Fault:
    """One answer in place of the API's: `status` None keeps the API's own answer (after `delay`)."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0  # seconds before the status line


@dataclass
class DataSet:
    id: str
    title: str
    csv: bytes = b"time_period,geographic_level\n202425,National\n"


def problem(status: int, title: str, detail: str = "", **extra) -> tuple[int, dict[str, str], bytes]:
    """An RFC 9457 problem answer, as ASP.NET gives it."""
    body = {"type": f"https://tools.ietf.org/html/rfc9110#section-15.5.{status - 399}", "title": title}
    body |= {"status": status, **({"detail": detail} if detail else {}), **extra, "traceId": "00-fake-00"}
    return status, {"Content-Type": "application/problem+json; charset=utf-8"}, json.dumps(body).encode()


class FakeEesApi:
    """The fake API: `publications` maps a publication id to its data sets, in listing order.

    `hits` records every request target (path and query) in the order received.
    """

    def __init__(self) -> None:
        self.publications: dict[str, list[DataSet]] = {}
        self.faults: dict[tuple[str, int | None], list[Fault]] = {}
        self.hits: list[str] = []
        self.lock = threading.Lock()
        self.closing = threading.Event()
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                fault = api.take_fault(self.path)
                if fault and fault.delay and api.closing.wait(fault.delay):
                    return
                if fault and fault.status is not None:
                    status, headers, body = fault.status, fault.headers, fault.body
                else:
                    status, headers, body = api.answer(self.path)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:  # the client gave up first
                    pass

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def publish(self, publication_id: str, data_sets: list[DataSet]) -> str:
        """Give a publication its data sets; return the URL of its listing (no query), as registered."""
        self.publications[publication_id] = data_sets
        return self.base + self.listing_path(publication_id)

    @staticmethod
    def listing_path(publication_id: str) -> str:
        return f"/v1/publications/{publication_id}/data-sets"

    def csv_url(self, data_set_id: str) -> str:
        return f"{self.base}/v1/data-sets/{data_set_id}/csv"

    def fault(self, path: str, fault: Fault, page: int | None = None, times: int = 1) -> None:
        """Answer the next `times` requests for `path` (for a listing, only those for `page`) with `fault`."""
        with self.lock:
            self.faults.setdefault((path, page), []).extend([fault] * times)

    def take_fault(self, target: str) -> Fault | None:
        with self.lock:
            self.hits.append(target)
            parts = urlsplit(target)
            page = parse_qs(parts.query).get("page", ["1"])[0]
            for key in ((parts.path, int(page) if page.isdigit() else None), (parts.path, None)):
                queue = self.faults.get(key)
                if queue:
                    return queue.pop(0)
        return None

    def pages_asked(self, publication_id: str) -> list[tuple[str, str]]:
        """(page, pageSize) of every listing request for the publication, in order."""
        path = self.listing_path(publication_id)
        asked = []
        for target in self.hits:
            parts = urlsplit(target)
            if parts.path == path:
                query = parse_qs(parts.query)
                asked.append((query.get("page", [""])[0], query.get("pageSize", [""])[0]))
        return asked

    def answer(self, target: str) -> tuple[int, dict[str, str], bytes]:
        """The API's answer to a GET of `target`: (status, headers, body)."""
        parts = urlsplit(target)
        segments = parts.path.strip("/").split("/")
        if len(segments) == 4 and segments[:2] == ["v1", "publications"] and segments[3] == "data-sets":
            return self.listing(segments[2], parse_qs(parts.query))
        if len(segments) == 4 and segments[:2] == ["v1", "data-sets"] and segments[3] == "csv":
            data_set = next((d for sets in self.publications.values() for d in sets if d.id == segments[2]), None)
            if data_set is None:
                return problem(404, "Not Found", f"No data set with ID {segments[2]!r}.")
            return 200, {"Content-Type": "text/csv; charset=utf-8"}, data_set.csv
        return problem(404, "Not Found")

    def listing(self, publication_id: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str], bytes]:
        page_text, size_text = query.get("page", ["1"])[0], query.get("pageSize", ["10"])[0]
        errors = {}
        if not page_text.isdigit() or int(page_text) < 1:
            errors["page"] = ["Must be greater than or equal to 1."]
        if not size_text.isdigit() or not 1 <= int(size_text) <= MAX_PAGE_SIZE:
            errors["pageSize"] = [f"Must be between 1 and {MAX_PAGE_SIZE}."]
        if errors:
            return problem(400, "One or more validation errors occurred.", errors=errors)
        if publication_id not in self.publications:
            return problem(404, "Not Found", f"No publication with ID {publication_id!r}.")
        page, size, data_sets = int(page_text), int(size_text), self.publications[publication_id]
        shown = data_sets[(page - 1) * size : page * size]
        body = {
            "paging": {
                "page": page,
                "pageSize": size,
                "totalResults": len(data_sets),
                "totalPages": math.ceil(len(data_sets) / size),
            },
            "results": [
                {
                    "id": data_set.id,
                    "title": data_set.title,
                    "summary": f"{data_set.title}, England, regions and local authorities",
                    "status": "Published",
                    "latestVersion": {
                        "version": "1.0",
                        "published": "2025-11-27T09:30:00+00:00",
                        "totalResults": 1000,
                        "timePeriods": {"start": "2021/22", "end": "2024/25"},
                        "geographicLevels": ["National", "Regional", "Local authority"],
                        "filters": ["Breakdown"],
                        "indicators": ["Percentage of children achieving GLD"],
                    },
                }
                for data_set in shown
            ],
        }
        return 200, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(body).encode()

    def close(self) -> None:
        self.closing.set()
        self.httpd.shutdown()
        self.httpd.server_close()
