"""`python -m deploy.replicas`: N replicas of the explorer behind nginx, on one machine, in one command.

An organisation serving all 153 LAs runs more than one Streamlit process: one Python process uses
one core for its page runs. This starts N replicas of `streamlit run app.py` on 127.0.0.1 (ports
PORT+11 … PORT+10+N), every one reading the same read-only data/gld.duckdb, and Debian's nginx on
HOST:PORT in front of them (deploy/nginx.conf.in, rendered into a run folder). nginx keeps each
browser on one replica (a cookie naming the replica that answered: a Streamlit session lives in
its replica's memory) and sends the visitors of a replica that stops answering to another; their
tabs reconnect there by themselves.

While running it checks every replica's `/_stcore/health` every CHECK_EVERY_S seconds and
restarts one that has exited or failed FAILURES_BEFORE_RESTART checks in a row (a replica still
starting has START_TIMEOUT_S to answer first), then opens a first page on it so it warms again. Every replica gets
the same cookie secret, so a tab moved to another replica keeps a valid XSRF cookie. A new build
(`python -m etl fetch`) reaches every replica within a minute by the app's own live refresh.

    make serve-replicas                      # 2 replicas, nginx on 127.0.0.1:8500
    python -m deploy.replicas --replicas 4 --host 0.0.0.0 --port 80

Stop with Ctrl+C, SIGTERM or SIGHUP: nginx and the replicas are stopped with it. The replicas' logs,
nginx's access and error logs and the rendered nginx.conf are kept in the run folder it prints.
deploy/compose.yaml is the same recipe for Docker.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("nginx.conf.in")
CHECK_EVERY_S = 2.0
FAILURES_BEFORE_RESTART = 3  # health checks failed in a row (a busy replica may miss one)
HEALTH_TIMEOUT_S = 2.0
START_TIMEOUT_S = 90.0
FAIL_TIMEOUT_S = 10  # nginx leaves a refusing replica out this long before trying it again
WARM_PAGE = "profile?la=E08000018"
REPLICA_PORT_OFFSET = 10  # replica i listens on PORT + 10 + i


class ReplicaError(RuntimeError):
    """The replica set could not start; the message says which part and why."""


@dataclass
class Replica:
    index: int  # 1-based, as people count them
    port: int
    log: Path
    process: subprocess.Popen | None = None
    failures: int = 0
    restarts: int = 0
    started: float = 0.0  # when the process was spawned
    answered: bool = False  # it has passed a health check since then

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


def render_config(
    servers: list[str],
    listen: str,
    run_dir: str,
    access_log: str,
    user: str = "",
    mime_types: str = "/etc/nginx/mime.types",
    temp_dir: str = "",
) -> str:
    """deploy/nginx.conf.in with its fields filled in. `servers` are host:port of the replicas, r1, r2, …"""
    limits = f"max_fails=1 fail_timeout={FAIL_TIMEOUT_S}s"
    routes, cookies, upstreams = [], [], []
    for number, server in enumerate(servers, start=1):
        name = f"r{number}"
        routes.append(f"        {name} gld_{name};")
        cookies.append(f'        "~{re.escape(server)}$" "gld_replica={name}; Path=/; HttpOnly; SameSite=Lax";')
        others = [f"        server {other} {limits} backup;" for other in servers if other != server]
        upstreams.append(
            "\n".join(
                [
                    f"    upstream gld_{name} {{",
                    f"        zone gld_{name} 64k;",
                    f"        server {server} {limits};",
                    *others,
                    "        keepalive 8;",
                    "    }",
                ]
            )
        )
    fields = {
        "@ROUTES@": "\n".join(routes),
        "@COOKIES@": "\n".join(cookies),
        "@SERVERS@": "\n".join(f"        server {server} {limits};" for server in servers),
        "@UPSTREAMS@": "\n".join(upstreams),
        "@LISTEN@": listen,
        "@TEMP_DIR@": temp_dir or f"{run_dir}/tmp",
        "@RUN_DIR@": run_dir,
        "@ACCESS_LOG@": access_log,
        "@USER@": f"user {user};" if user else "",
        "@MIME_TYPES@": mime_types,
    }
    text = TEMPLATE.read_text()
    for name, value in fields.items():
        text = text.replace(name, value)
    return text


def server_flags(port: int) -> list[str]:
    """The `streamlit run` options of a replica (and of every test and benchmark server): only this
    computer can reach it (a replica is reached through nginx)."""
    return [
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]


def port_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        # As servers bind (uvicorn, nginx): a port whose last connections are closing is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def healthy(base: str, timeout: float = HEALTH_TIMEOUT_S) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


async def _first_run(base: str, page: str) -> None:
    """Open one session as a browser would and wait for its page run to finish."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.asyncio.client import connect

    path, _, query = page.partition("?")
    back = BackMsg()
    back.rerun_script.query_string = query
    back.rerun_script.page_name = path
    back.rerun_script.context_info.url = f"{base}/{page}"
    url = base.replace("http://", "ws://") + "/_stcore/stream"
    async with connect(url, subprotocols=["streamlit"], max_size=None, open_timeout=30) as ws:
        await ws.send(back.SerializeToString())
        while True:
            message = ForwardMsg.FromString(await asyncio.wait_for(ws.recv(), timeout=120))
            if message.WhichOneof("type") == "script_finished" and message.script_finished in (
                ForwardMsg.FINISHED_SUCCESSFULLY,
                ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
            ):
                return


def open_first_page(base: str, page: str = WARM_PAGE) -> None:
    """Run one page on a replica, so it starts warming its chart caches before anyone arrives."""
    asyncio.run(_first_run(base, page))


@dataclass
class ReplicaSet:
    """N replicas and nginx. Use as a context manager, or call start() and stop()."""

    replicas: int = 2
    port: int = 8500
    host: str = "127.0.0.1"
    run_dir: Path | None = None
    module: str = "streamlit"  # the benchmark passes bench.serve, which logs each script run
    env: dict[str, str] = field(default_factory=dict)
    echo: object = print
    ports: list[int] | None = None  # the replicas' ports; default PORT+11 … PORT+10+N
    members: list[Replica] = field(default_factory=list)
    nginx: subprocess.Popen | None = None
    warm: bool = False  # open a first page on each replica (at start, and after a restart)

    def __post_init__(self) -> None:
        if self.replicas < 1:
            raise ReplicaError("at least one replica is needed")
        if self.run_dir is None:
            self.run_dir = Path(tempfile.mkdtemp(prefix="gld-replicas-"))
        self.run_dir = Path(self.run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir.chmod(0o755)  # nginx's workers (www-data when started as root) make temp files here
        self.cookie_secret = secrets.token_hex(32)
        # PORT+11…: not 8501, where `make run` serves
        ports = self.ports or [self.port + REPLICA_PORT_OFFSET + index for index in range(1, self.replicas + 1)]
        if len(ports) != self.replicas:
            raise ReplicaError(f"{self.replicas} replicas need {self.replicas} ports, not {len(ports)}")
        self.members = [
            Replica(index, port, self.run_dir / f"replica-{index}.log") for index, port in enumerate(ports, start=1)
        ]

    @property
    def base(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def access_log(self) -> Path:
        return self.run_dir / "access.log"

    def _command(self, replica: Replica) -> list[str]:
        return [sys.executable, "-m", self.module, "run", "app.py", *server_flags(replica.port)]

    def _spawn(self, replica: Replica) -> None:
        env = (
            os.environ
            | self.env
            | {
                "STREAMLIT_SERVER_COOKIE_SECRET": self.cookie_secret,
                "GLD_REPLICA": str(replica.index),
            }
        )
        log = replica.log.open("a")
        replica.process = subprocess.Popen(
            self._command(replica), cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        replica.failures, replica.started, replica.answered = 0, time.time(), False

    def _wait_healthy(self, replica: Replica, timeout: float = START_TIMEOUT_S) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if replica.process.poll() is not None:
                raise ReplicaError(
                    f"replica {replica.index} (port {replica.port}) exited with {replica.process.returncode}; "
                    f"see {replica.log}"
                )
            if healthy(replica.base):
                replica.answered = True
                return
            time.sleep(0.3)
        raise ReplicaError(f"replica {replica.index} (port {replica.port}) did not answer within {timeout:.0f} s")

    def start(self, warm: bool = False) -> None:
        """Start the replicas, wait for each to answer, then start nginx in front of them.

        Raises:
            ReplicaError: nginx is missing or refuses its configuration, a port is taken, or a
                replica does not start.
        """
        nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
        if nginx is None:
            raise ReplicaError("nginx is not installed (Debian: apt-get install nginx)")
        self.warm = warm
        for port in [self.port, *(replica.port for replica in self.members)]:
            if not port_free(self.host if port == self.port else "127.0.0.1", port):
                raise ReplicaError(f"port {port} is already in use (another server, or replicas left running?)")
        try:
            for replica in self.members:
                self._spawn(replica)
            for replica in self.members:
                self._wait_healthy(replica)
            if warm:
                for replica in self.members:
                    open_first_page(replica.base)
            self._start_nginx(nginx)
        except BaseException:
            self.stop()
            raise

    def _start_nginx(self, nginx: str) -> None:
        conf = self.run_dir / "nginx.conf"
        user = "www-data" if os.geteuid() == 0 else ""
        listen = f"{self.host}:{self.port}"
        conf.write_text(
            render_config([r.address for r in self.members], listen, str(self.run_dir), str(self.access_log), user)
        )
        (self.run_dir / "tmp").mkdir(exist_ok=True)
        error_log = self.run_dir / "nginx-error.log"
        command = [nginx, "-p", str(self.run_dir), "-c", str(conf), "-e", str(error_log)]
        check = subprocess.run([*command, "-t", "-q"], capture_output=True, text=True)
        if check.returncode != 0:
            why = (check.stderr or error_log.read_text(errors="replace")).strip().splitlines()
            raise ReplicaError(f"nginx refused its configuration ({conf}): {why[-1] if why else 'no reason given'}")
        self.nginx = subprocess.Popen([*command, "-g", "daemon off;"], start_new_session=True)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.nginx.poll() is not None:
                lines = error_log.read_text(errors="replace").strip().splitlines()
                raise ReplicaError(f"nginx stopped at start: {lines[-1] if lines else 'see ' + str(error_log)}")
            try:
                with urllib.request.urlopen(f"{self.base}/nginx-health", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise ReplicaError(f"nginx did not answer on {listen} within 10 s; see {error_log}")

    def kill(self, index: int) -> None:
        """Kill replica `index` (1-based) at once, as a crash would."""
        process = self.members[index - 1].process
        if process and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def check(self) -> list[str]:
        """One round of health checks; restart a replica that exited or failed too often. Returns what was done."""
        done = []
        for replica in self.members:
            exited = replica.process.poll()
            if exited is None and healthy(replica.base):
                replica.failures, replica.answered = 0, True
                continue
            starting = not replica.answered and time.time() - replica.started < START_TIMEOUT_S
            if exited is None and starting:
                continue  # still starting (slowly, when the others keep the cores busy): not a failure yet
            replica.failures += 1
            if exited is None and replica.failures < FAILURES_BEFORE_RESTART:
                continue
            why = f"exited with {exited}" if exited is not None else f"failed {replica.failures} health checks"
            if exited is None:
                self._end(replica.process)
            replica.restarts += 1
            self._spawn(replica)
            if self.warm:  # as at start: its caches warm before the next visitors reach it
                threading.Thread(target=self._warm_when_healthy, args=(replica,), daemon=True).start()
            done.append(f"replica {replica.index} (port {replica.port}) {why}; restarted")
        return done

    def _warm_when_healthy(self, replica: Replica) -> None:
        try:
            self._wait_healthy(replica)
            open_first_page(replica.base)
        except Exception as error:  # noqa: BLE001 - the next health check deals with a replica that fails
            self.echo(f"replica {replica.index} (port {replica.port}) could not be warmed: {error}")

    def supervise(self) -> int:
        """Check the replicas until nginx stops (or a signal ends it: see `main`). Returns an exit code."""
        while True:
            if self.nginx.poll() is not None:
                self.echo(f"nginx stopped (exit {self.nginx.returncode}); see {self.run_dir / 'nginx-error.log'}")
                return 1
            for line in self.check():
                self.echo(line)
            time.sleep(CHECK_EVERY_S)

    @staticmethod
    def _end(process: subprocess.Popen | None) -> None:
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()

    def stop(self) -> None:
        self._end(self.nginx)
        for replica in self.members:
            self._end(replica.process)

    def __enter__(self) -> ReplicaSet:
        self.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()


class Stop(Exception):
    """A signal asked everything to stop."""


def _stop(signum, _frame) -> None:
    raise Stop(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.replicas", description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=2, help="Streamlit processes (default 2; see README)")
    parser.add_argument(
        "--port", type=int, default=8500, help="nginx's port; replicas use PORT+11 … PORT+10+N on 127.0.0.1"
    )
    parser.add_argument("--host", default="127.0.0.1", help="nginx's address (0.0.0.0 to serve the network)")
    parser.add_argument("--run-dir", type=Path, help="folder for logs and nginx.conf (default: a new temporary one)")
    parser.add_argument("--no-warm", action="store_true", help="do not open a first page on each replica at start")
    args = parser.parse_args(argv)
    # The children run in their own sessions (a terminal's Ctrl+C must not kill a replica halfway
    # through a restart), so every way of ending this process must stop them: Ctrl+C, SIGTERM
    # (systemd, kill) and SIGHUP (the terminal or ssh session closed), at start or while running.
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, _stop)
    replica_set = None
    try:
        replica_set = ReplicaSet(args.replicas, args.port, args.host, args.run_dir)
        print(f"Starting {args.replicas} replicas and nginx; logs in {replica_set.run_dir}", flush=True)
        replica_set.start(warm=not args.no_warm)
        ports = ", ".join(str(r.port) for r in replica_set.members)
        print(f"Serving {replica_set.base} (replicas on 127.0.0.1 ports {ports}); Ctrl+C stops everything", flush=True)
        return replica_set.supervise()
    except (ReplicaError, OSError) as error:
        print(f"Could not start: {error}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, Stop):
        return 0
    finally:
        if replica_set is not None:
            replica_set.stop()


if __name__ == "__main__":
    sys.exit(main())
