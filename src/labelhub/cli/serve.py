"""``labelhub serve`` and ``labelhub worker``."""

from __future__ import annotations

import errno
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import typer

from labelhub.cli._common import console, fail, opened_hub
from labelhub.errors import ConfigurationError, JobCancelled, LabelhubError
from labelhub.jobs.context import JobContext
from labelhub.jobs.executor import LocalExecutor
from labelhub.jobs.handlers import Handler, default_handlers

Port = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")]
Host = Annotated[str, typer.Option(help="Address to bind")]


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


def serve(
    host: Host = "127.0.0.1",
    port: Port = 8080,
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


def logged_handlers(handlers: dict[str, Handler], echo: Callable[[str], None]) -> dict[str, Handler]:
    """The handlers, each saying when its job starts and ends: ``job 2 train_model succeeded in 12 s`` (or failed,
    with the first line of the error). The executor still records the outcome: errors are re-raised."""

    def logged(kind: str, handler: Handler) -> Handler:
        def run(ctx: JobContext) -> dict[str, Any]:
            echo(f"job {ctx.job_id} {kind} started")
            start = time.monotonic()

            def took() -> str:
                return f"in {time.monotonic() - start:.0f} s"

            try:
                result = handler(ctx)
            except JobCancelled:
                echo(f"job {ctx.job_id} {kind} cancelled {took()}")
                raise
            except Exception as exc:
                text = exc.detail if isinstance(exc, LabelhubError) else f"{type(exc).__name__}: {exc}"
                echo(f"job {ctx.job_id} {kind} failed {took()}: {(text.strip().splitlines() or [''])[0]}")
                raise
            echo(f"job {ctx.job_id} {kind} succeeded {took()}")
            return result

        return run

    return {kind: logged(kind, handler) for kind, handler in handlers.items()}


def worker(threads: Annotated[int, typer.Option(min=1, help="Jobs to run at once")] = 1) -> None:
    """Run jobs from the queue until interrupted (use with `serve --no-worker`, or several per machine)."""

    def echo(line: str) -> None:
        console.print(f"{datetime.now():%Y-%m-%d %H:%M:%S} {line}", highlight=False, markup=False)

    with opened_hub() as hub:
        executor = LocalExecutor(hub, threads=threads, handlers=logged_handlers(default_handlers(), echo))
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
