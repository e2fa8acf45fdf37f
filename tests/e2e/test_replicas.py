"""Two replicas behind Debian's nginx (deploy/replicas.py), driven through nginx on 127.0.0.1.

A tab stays on one replica (its session lives there); when that replica dies the tab reconnects to
the other and carries on, and its downloads keep working there even after the dead one is
restarted; the health checks restart a dead replica; new visitors are spread over both.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import expect

from deploy.replicas import ReplicaSet, healthy, render_config

from .conftest import free_port
from .test_browser import choose_la, wait_for_profile

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def replicas(tmp_path_factory):
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        pytest.fail("nginx is missing: .ci/run installs Debian's nginx package")
    replica_set = ReplicaSet(
        2,
        port=free_port(),
        ports=[free_port(), free_port()],
        run_dir=tmp_path_factory.mktemp("replicas"),
        env={"GLD_WARM_CACHES": "0"},  # no background warming: it would compete with the browser
    )
    replica_set.start()
    yield replica_set
    replica_set.stop()


def requests_logged(replica_set: ReplicaSet) -> list[dict]:
    """nginx's access log as dicts: request, upstream (the last address tried), cookie."""
    rows = []
    for line in replica_set.access_log.read_text().splitlines():
        found = re.search(r'"(?P<request>[^"]*)" (?P<status>\d+) .*upstream=(?P<upstream>.*?) upstream_status', line)
        cookie = re.search(r"replica_cookie=(\S*)", line)
        if found:
            upstream = found["upstream"].split(", ")[-1]
            rows.append({**found.groupdict(), "upstream": upstream, "cookie": cookie[1] if cookie else ""})
    return rows


def replica_cookie(page) -> str:
    return next((c["value"] for c in page.context.cookies() if c["name"] == "gld_replica"), "")


def test_the_rendered_config_is_accepted_by_nginx(replicas):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    conf = replicas.run_dir / "nginx.conf"
    result = subprocess.run(
        [nginx, "-t", "-p", str(replicas.run_dir), "-c", str(conf), "-e", "stderr"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "gld_r1" in conf.read_text() and "backup" in conf.read_text()
    # Health through nginx answers; Streamlit's server counters are closed to the public.
    with urllib.request.urlopen(f"{replicas.base}/_stcore/health", timeout=5) as response:
        assert response.status == 200
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{replicas.base}/_stcore/metrics", timeout=5)
    assert refused.value.code == 404
    with urllib.request.urlopen(f"{replicas.members[0].base}/_stcore/metrics", timeout=5) as response:
        assert response.status == 200  # the replica itself has them: nginx is what closes them


def test_new_visitors_are_spread_over_both_replicas(replicas):
    """Six visitors at once, without a cookie: nginx sends each to the replica with fewer open sessions."""
    before = len(requests_logged(replicas))

    async def visit_together(count: int) -> None:
        from websockets.asyncio.client import connect

        url = replicas.base.replace("http://", "ws://") + "/_stcore/stream"
        sockets = [await connect(url, subprotocols=["streamlit"]) for _ in range(count)]
        for socket in sockets:
            await socket.close()

    with ThreadPoolExecutor(1) as pool:  # the browser fixtures' Playwright owns this thread's event loop
        pool.submit(asyncio.run, visit_together(6)).result(timeout=60)
    deadline = time.time() + 10
    while time.time() < deadline:  # nginx logs a websocket when it closes
        streams = [row for row in requests_logged(replicas)[before:] if "/_stcore/stream" in row["request"]]
        if len(streams) == 6:
            break
        time.sleep(0.2)
    per_replica = {m.address: sum(row["upstream"] == m.address for row in streams) for m in replicas.members}
    assert list(per_replica.values()) == [3, 3], per_replica


def test_a_tab_stays_on_its_replica_and_moves_when_it_dies(replicas, page, artifacts):
    page.goto(f"{replicas.base}/profile?la=E08000018")
    wait_for_profile(page, "Rotherham")
    home = replica_cookie(page)
    assert home in ("r1", "r2"), page.context.cookies()
    home_port = str(replicas.members[int(home[1]) - 1].port)
    # Every request the tab sent with its cookie reached that replica.
    sent = [row for row in requests_logged(replicas) if row["cookie"] == home]
    assert sent and all(row["upstream"].endswith(f":{home_port}") for row in sent), sent

    sockets = []
    page.on("websocket", lambda socket: sockets.append({"socket": socket, "frames": 0}))
    page.on(
        "websocket",
        lambda socket: socket.on("framereceived", lambda _f: sockets[-1].update(frames=sockets[-1]["frames"] + 1)),
    )
    replicas.kill(int(home[1]))
    other = "r2" if home == "r1" else "r1"
    # The tab reconnects by itself (Streamlit's client retries its websocket; nginx sends it to the
    # other replica, which starts a new session from the page's URL) and carries on. While it
    # reconnects its controls are disabled, as for anyone whose connection drops.
    deadline = time.time() + 30
    while replica_cookie(page) != other and time.time() < deadline:
        time.sleep(0.2)
    assert replica_cookie(page) == other, "the tab did not reconnect within 30 s"
    # The new session's first run is over when its socket has received messages and then been
    # quiet for 2 s (a pick sent while that run is still starting can be lost, as it can for a
    # person who picks while the page reconnects: they pick again).
    quiet_since, frames, deadline = time.time(), -1, time.time() + 30
    while time.time() < deadline:
        page.wait_for_timeout(250)  # lets Playwright deliver the socket's events
        now = sockets[-1]["frames"] if sockets else 0
        if now != frames:
            quiet_since, frames = time.time(), now
        elif frames > 0 and time.time() - quiet_since >= 2:
            break
    assert frames > 0, "no new websocket session within 30 s"
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=30_000)
    choose_la(page, "Barnsley")
    expect(page).to_have_url(re.compile(r"la=E08000038"), timeout=60_000)
    wait_for_profile(page, "Barnsley")
    assert page.locator('[data-testid="stException"]').count() == 0
    assert replica_cookie(page) == other
    # Its websocket (logged by nginx when it closed) had gone to the replica that died.
    streams = [row for row in requests_logged(replicas) if "/_stcore/stream" in row["request"]]
    assert any(row["cookie"] == home and row["upstream"].endswith(f":{home_port}") for row in streams), streams

    # The dead replica is restarted and healthy again; the tab's session now lives on the other
    # one, so its download (a file held in that replica's memory) must still be fetched there.
    assert [line for line in replicas.check() if "restarted" in line]
    deadline = time.time() + 60
    while not healthy(replicas.members[int(home[1]) - 1].base) and time.time() < deadline:
        time.sleep(0.5)
    assert healthy(replicas.members[int(home[1]) - 1].base), "the restarted replica did not answer within 60 s"
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Download CSV").first.click()
    path = artifacts / "replica_failover_download.csv"
    download.value.save_as(path)
    assert path.read_text(encoding="utf-8-sig").startswith("area,group,year")
    assert "Barnsley" in path.read_text(encoding="utf-8-sig")
    assert replica_cookie(page) == other


def test_compose_config_is_the_tested_template_rendered():
    """deploy/nginx-compose.conf is the template rendered for deploy/compose.yaml's fixed addresses."""
    import yaml

    deploy = Path(__file__).resolve().parents[2] / "deploy"
    compose = yaml.safe_load((deploy / "compose.yaml").read_text())
    servers = [
        f"{service['networks']['gld']['ipv4_address']}:8501"
        for name, service in compose["services"].items()
        if name.startswith("app")
    ]
    expected = render_config(
        servers, "80", "/var/cache/nginx", "/dev/stdout", user="nginx", temp_dir="/var/cache/nginx"
    )
    assert (deploy / "nginx-compose.conf").read_text() == expected
    assert len(servers) == 2


def test_a_port_in_use_is_refused_before_anything_starts(tmp_path):
    import socket

    from deploy.replicas import ReplicaError

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        replica_set = ReplicaSet(2, port=free_port(), ports=[port, free_port()], run_dir=tmp_path)
        with pytest.raises(ReplicaError, match=f"port {port} is already in use"):
            replica_set.start()
    assert all(member.process is None for member in replica_set.members)
