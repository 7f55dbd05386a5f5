"""``labelhub serve`` and ``labelhub worker``."""

from __future__ import annotations

import os
import signal
import socket
import threading
from typing import Annotated

import typer

from labelhub.cli._common import console, fail, opened_hub
from labelhub.errors import ConfigurationError
from labelhub.jobs.executor import LocalExecutor


def _check_port(host: str, port: int) -> None:
    """Fail with a message a person can act on when the address is taken (uvicorn would log an errno and exit 3).
    A check before binding, so another program can still take the port in between; uvicorn reports that case."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind((host, port))
        except OSError as exc:
            fail(ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; another labelhub or "
                                    "program may be serving there: stop it, or choose another --port",
                                    field="port"))  # fmt: skip


def serve(
    host: Annotated[str, typer.Option(help="Address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8080,
    worker: Annotated[bool, typer.Option(help="Run a job worker inside the server")] = True,
    workers: Annotated[int, typer.Option(min=1, help="Server processes (more use more cores)")] = 1,
    access_log: Annotated[
        bool, typer.Option(help="Log every request (costs CPU per request; writes are in the audit log anyway)")
    ] = False,
) -> None:
    """Serve the web app and the REST API (with a job worker unless --no-worker)."""
    # The web stack is imported by the command that serves it, so the other commands start faster.
    import uvicorn

    from labelhub.api.app import EMBEDDED_WORKER_ENV, app_from_env, create_app

    _check_port(host, port)
    with opened_hub() as hub:
        console.print(f"labelhub at [bold]http://{host}:{port}[/]  (API docs: /docs, data: {hub.settings.home})")
        if workers == 1:
            uvicorn.run(
                create_app(hub, run_worker=worker), host=host, port=port, log_level="info", access_log=access_log
            )
            return
    # Several processes: the schema was migrated above, once; each process builds its app from the environment.
    os.environ[EMBEDDED_WORKER_ENV] = "1" if worker else "0"
    uvicorn.run(f"{app_from_env.__module__}:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level="info", access_log=access_log)  # fmt: skip


def worker(threads: Annotated[int, typer.Option(help="Jobs to run at once")] = 1) -> None:
    """Run jobs from the queue until interrupted (use with `serve --no-worker`, or several per machine)."""
    with opened_hub() as hub:
        executor = LocalExecutor(hub, threads=threads)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        executor.start()
        console.print(f"worker {executor.worker_id} waiting for jobs (Ctrl-C to stop)")
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            executor.stop()
