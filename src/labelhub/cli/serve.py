"""``labelhub serve`` and ``labelhub worker``."""

from __future__ import annotations

import copy
import ctypes
import errno
import ipaddress
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from typing import Annotated, Any

import typer

from labelhub._gc import tune_for_long_run
from labelhub.cli._common import console, fail, opened_hub
from labelhub.errors import ConfigurationError
from labelhub.jobs.executor import LocalExecutor
from labelhub.services.notifier import Notifier, default_tasks

Port = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")]
Host = Annotated[str, typer.Option(help="Address to bind")]
# Seconds uvicorn's supervisor (serve --workers N) waits for a server process to answer its ping before it kills
# and replaces it. Its default, 5 s, is shorter than a server process's start-up (it imports the whole CLI) on a
# busy machine: one process was killed at every start.
HEALTHCHECK_TIMEOUT_S = 30
# Seconds an idle keep-alive connection stays open (uvicorn_options says why it is longer than the clients').
KEEP_ALIVE_S = 65
# How long a stopping job worker may take to hand back its jobs before it is killed: its executor waits up to
# 10 s for each of its threads.
WORKER_STOP_TIMEOUT_S = 30.0
WORKER_RESTART_DELAY_S = 5.0
_WORKERS_HELP = "Server processes (more use more cores); with 2 or more, jobs run in one separate worker process"
_FORWARDED_HELP = (
    "Addresses of reverse proxies whose X-Forwarded-For header gives the client's address (comma-separated IPs or "
    "networks, such as 10.0.0.5 or 10.0.0.0/24). Set it to the proxy's address when a proxy on another host "
    "forwards to labelhub: otherwise every client has the proxy's address, which the login throttle and audit "
    "log record. '*' trusts every client and lets anyone forge their address. "
    "[default: the FORWARDED_ALLOW_IPS environment variable, else 127.0.0.1,::1 (this machine)]"
)
_LOG_FORMAT = {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s", "datefmt": "%Y-%m-%d %H:%M:%S"}
log = logging.getLogger("labelhub.serve")


def log_config() -> dict[str, Any]:
    """uvicorn's logging set-up plus the ``labelhub.*`` loggers (INFO, with a time) on stderr; uvicorn applies it
    in every server process too."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["labelhub"] = dict(_LOG_FORMAT)
    config["handlers"]["labelhub"] = {"class": "logging.StreamHandler", "formatter": "labelhub",
                                      "stream": "ext://sys.stderr"}  # fmt: skip
    config["loggers"]["labelhub"] = {"handlers": ["labelhub"], "level": "INFO"}
    return config


def configure_logging() -> None:
    """Show the ``labelhub.*`` loggers' INFO lines (job events, a schema upgrade) on stderr, with a time.

    Only in a process whose logging nobody has set up (a command run from a shell or a service unit): an
    application or test runner that calls the CLI in-process keeps its own handlers."""
    labelhub_log = logging.getLogger("labelhub")
    if logging.getLogger().handlers or labelhub_log.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_LOG_FORMAT["format"], _LOG_FORMAT["datefmt"]))
    labelhub_log.addHandler(handler)
    if labelhub_log.level == logging.NOTSET:
        labelhub_log.setLevel(logging.INFO)


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to send SIGTERM when the serving process dies, even by SIGKILL, so a
    killed `serve` leaves no worker behind. Elsewhere a no-op."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class JobWorkerProcess:
    """`labelhub worker` as a child process of `serve --workers N`: started before the server processes,
    restarted when it dies, stopped (SIGTERM, then SIGKILL after WORKER_STOP_TIMEOUT_S) when the server stops."""

    def __init__(self, threads: int) -> None:
        self.command = [sys.executable, "-m", "labelhub", "worker", "--threads", str(threads)]
        self.stop_timeout = max(WORKER_STOP_TIMEOUT_S, 10.0 * (threads + 1) + 10.0)
        self.process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None

    def start(self) -> None:
        self._spawn()
        self._watcher = threading.Thread(target=self._watch, name="labelhub-worker-watch", daemon=True)
        self._watcher.start()

    def _spawn(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            # Its own process group: a Ctrl-C in the terminal reaches the server, which then stops the worker.
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
                self.command, preexec_fn=_die_with_parent, process_group=0
            )
        log.info("job worker process [%d] started", self.process.pid)

    def _watch(self) -> None:
        while not self._stopping.is_set():
            process = self.process
            if process is None:
                return
            code = process.wait()
            if self._stopping.is_set():
                return
            log.warning("job worker process [%d] exited with status %s; starting another in %.0f s",
                        process.pid, code, WORKER_RESTART_DELAY_S)  # fmt: skip
            if self._stopping.wait(WORKER_RESTART_DELAY_S):
                return
            self._spawn()

    def stop(self) -> None:
        with self._lock:
            self._stopping.set()
            process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(self.stop_timeout)
        except subprocess.TimeoutExpired:
            log.warning("job worker process [%d] did not stop in %.0f s; killed", process.pid, self.stop_timeout)
            process.kill()
            process.wait()
        else:
            log.info("job worker process [%d] stopped", process.pid)


def _check_port(host: str, port: int) -> None:
    """Fail with a message a person can act on when the address is taken or is not this machine's (uvicorn would
    log an errno and exit 3). A check before binding, so another program can still take the port in between;
    uvicorn reports that case."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except (socket.gaierror, UnicodeError) as exc:
        fail(ConfigurationError(f"cannot listen on {host}:{port}: no such host ({exc}); give an address of this "
                                "machine as --host, such as 127.0.0.1 or 0.0.0.0", field="host"))  # fmt: skip
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind((host, port))
        except OSError as exc:
            reason = exc.strerror or str(exc)
            if exc.errno == errno.EADDRINUSE:
                fail(ConfigurationError(f"cannot listen on {host}:{port}: {reason}; another labelhub or program "
                                        "may be serving there: stop it, or choose another --port",
                                        field="port"))  # fmt: skip
            if exc.errno == errno.EACCES:
                fail(ConfigurationError(f"cannot listen on {host}:{port}: {reason}; ports below 1024 need "
                                        "privileges: choose a port of 1024 or more", field="port"))  # fmt: skip
            fail(ConfigurationError(f"cannot listen on {host}:{port}: {reason}; is {host} an address of this "
                                    "machine? Use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)",
                                    field="host"))  # fmt: skip


def _check_forwarded(value: str | None) -> None:
    """Refuse a ``--forwarded-allow-ips`` entry that is no address or network (a typo would trust no proxy, and
    every client would share the proxy's address in the login throttle), naming it."""
    if value is None:  # not given: uvicorn's default
        return
    for entry in (e.strip() for e in value.split(",")):
        if entry == "*":
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            fail(ConfigurationError(f"--forwarded-allow-ips: {entry!r} is no IP address or network (such as "
                                    "10.0.0.5 or 10.0.0.0/24); separate several with commas",
                                    field="forwarded_allow_ips"))  # fmt: skip


def uvicorn_options(host: str, port: int, access_log: bool, forwarded_allow_ips: str | None) -> dict[str, Any]:
    """Return the settings ``serve`` gives ``uvicorn.run`` (and so uvicorn's ``Config``), one process or several.

    ``forwarded_allow_ips`` None leaves uvicorn's default: the ``FORWARDED_ALLOW_IPS`` environment variable, or
    127.0.0.1 and ::1 (a proxy on this machine).

    An idle keep-alive connection stays open ``KEEP_ALIVE_S`` (65 s; uvicorn's default is 5). A client that sends
    on a connection in the instant the server closes it gets "connection reset" and no answer: httpx keeps idle
    connections 5 s, as uvicorn did, and met that race (seen in a browser test's API client); nginx keeps them 60
    s towards its upstream, a cloud load balancer 60 s. The server has to be the side that waits longest."""
    return {"host": host, "port": port, "log_level": "info", "access_log": access_log, "log_config": log_config(),
            "proxy_headers": True, "forwarded_allow_ips": forwarded_allow_ips,
            "timeout_keep_alive": KEEP_ALIVE_S}  # fmt: skip


def serve(
    host: Host = "127.0.0.1",
    port: Port = 8080,
    worker: Annotated[bool, typer.Option(help="Run a job worker with the server")] = True,
    workers: Annotated[int, typer.Option(min=1, help=_WORKERS_HELP)] = 1,
    access_log: Annotated[
        bool, typer.Option(help="Log every request (costs CPU per request; writes are in the audit log anyway)")
    ] = False,
    forwarded_allow_ips: Annotated[str | None, typer.Option(help=_FORWARDED_HELP, show_default=False)] = None,
) -> None:
    """Serve the web app and the REST API (with a job worker unless --no-worker)."""
    # The web stack is imported by the command that serves it, so the other commands start faster.
    import uvicorn

    from labelhub.api.app import EMBEDDED_WORKER_ENV, app_from_env, create_app

    configure_logging()
    _check_port(host, port)
    _check_forwarded(forwarded_allow_ips)
    with opened_hub() as hub:  # migrates the schema, once, before any server or worker process starts
        console.print(f"labelhub at [bold]http://{host}:{port}[/]  (API docs: /docs, data: {hub.settings.home})")
        if workers == 1:
            # One process, no supervisor: the job worker runs in a thread of the server, as a single user wants.
            app = create_app(hub, run_worker=worker)
            tune_for_long_run()
            uvicorn.run(app, **uvicorn_options(host, port, access_log, forwarded_allow_ips))
            return
        threads = hub.settings.worker_threads
    # Several processes: uvicorn's supervisor kills a server process that does not answer its ping in time, and a
    # CPU-bound job (training, an export) in a thread of that process can starve the answer; so the server
    # processes run no jobs, and one separate `labelhub worker` process (started and stopped here) runs them.
    os.environ[EMBEDDED_WORKER_ENV] = "0"
    job_worker = JobWorkerProcess(threads) if worker else None
    try:
        if job_worker is not None:
            job_worker.start()
        uvicorn.run(f"{app_from_env.__module__}:app_from_env", factory=True, workers=workers,
                    timeout_worker_healthcheck=HEALTHCHECK_TIMEOUT_S,
                    **uvicorn_options(host, port, access_log, forwarded_allow_ips))  # fmt: skip
    finally:
        if job_worker is not None:
            job_worker.stop()


_RAY_HELP = (
    "Run the jobs on a Ray cluster: its address (auto, HOST:6379, ray://HOST:10001), or local to start one on this "
    "machine; nodes need the same database and media (docs/operations.md, Jobs on Ray)"
)


def worker(
    threads: Annotated[int, typer.Option(min=1, help="Jobs to run at once (without --ray)")] = 1,
    interactive_threads: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="More threads that run only jobs a person waits for (propagation), so they never queue behind a "
            "training (without --ray; default LABELHUB_WORKER_INTERACTIVE_THREADS, 1)",
        ),
    ] = None,
    ray: Annotated[str | None, typer.Option("--ray", help=_RAY_HELP)] = None,
    ray_jobs: Annotated[
        int, typer.Option(min=0, help="With --ray: jobs in flight at once (0: the cluster's CPUs / --ray-cpus)")
    ] = 0,
    ray_cpus: Annotated[float, typer.Option(min=0.1, help="With --ray: CPUs each job asks Ray for")] = 1.0,
) -> None:
    """Run jobs from the queue until interrupted (use with `serve --no-worker`, or several per machine)."""
    configure_logging()  # the executor logs each job's start and end (labelhub.jobs, INFO)
    with opened_hub() as hub:
        executor: LocalExecutor
        if ray is None:
            lane = hub.settings.worker_interactive_threads if interactive_threads is None else interactive_threads
            executor = LocalExecutor(hub, threads=threads, interactive_threads=lane)
        else:
            from labelhub.jobs.ray_executor import RayExecutor  # Ray loads only when asked for

            executor = RayExecutor(hub, address=ray, max_jobs=ray_jobs, cpus_per_job=ray_cpus)
        notifier = Notifier(hub, default_tasks())  # webhook deliveries and alert rules run beside the jobs
        stop = threading.Event()
        tune_for_long_run()
        executor.start()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())  # after start: connecting to Ray sets its own
        notifier.start()
        console.print(f"worker {executor.worker_id} waiting for jobs (Ctrl-C to stop)")
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            notifier.stop()
            executor.stop()
