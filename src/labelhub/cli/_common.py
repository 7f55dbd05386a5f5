"""Shared pieces of the CLI: opening the hub, acting as a user, progress bars and error output."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from labelhub.config import Settings
from labelhub.errors import LabelhubError, PermissionDenied, ValidationError
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.projects import get_project_by_name
from labelhub.services.users import actor_for, get_user_by_name

console = Console()
err_console = Console(stderr=True, soft_wrap=True)
# ``--as USER`` of the commands that act inside a project.
AsUser = Annotated[str | None, typer.Option("--as", help="Act as this user instead of the local administrator")]


def fail(exc: LabelhubError) -> NoReturn:
    """Print a labelhub error with its context and exit with status 1."""
    # Messages quote user input ("split '[train]'"): escaped, so rich does not read it as markup.
    err_console.print(f"[bold red]error:[/] {escape(exc.detail)}")
    for key in ("file", "line", "field"):
        if key in exc.context and not (key == "file" and str(exc.context[key]) in exc.detail):
            err_console.print(f"  {key}: {escape(str(exc.context[key]))}")
    for p in exc.context.get("problems", [])[:20]:
        message = str(p.get("message", ""))
        # A message that names its file already does not say it again.
        where = ", ".join(f"{k} {p[k]}" for k in ("file", "line", "field") if k in p and str(p[k]) not in message)
        err_console.print(escape(f"  - {message}" + (f" ({where})" if where else "")))
    raise typer.Exit(1)


def cannot_write(path: Path, exc: OSError, field: str) -> NoReturn:
    """Fail with ``error: cannot write PATH: REASON`` for an output the command could not write."""
    where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(path) else ""
    fail(ValidationError(f"cannot write {path}: {exc.strerror or exc}{where}", field=field))


def prepare_output(path: Path, field: str) -> None:
    """Create the parent folder of an output file (as export does) and check it can be written, before any work."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise PermissionError(errno.EACCES, "not writable", str(path))
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, "it is a folder", str(path))
    except OSError as exc:
        cannot_write(path, exc, field)


@contextmanager
def guarded() -> Iterator[None]:
    """Turn labelhub errors raised outside :func:`opened_hub` (option parsing) into the clean message."""
    try:
        yield
    except LabelhubError as exc:
        fail(exc)


@contextmanager
def opened_hub() -> Iterator[Hub]:
    """Open the hub from the environment's settings; labelhub errors become a clean message and exit 1."""
    try:
        hub = Hub.open(Settings.from_env())
    except LabelhubError as exc:
        fail(exc)
    try:
        yield hub
    except LabelhubError as exc:
        fail(exc)
    finally:
        hub.close()


def acting_as(hub: Hub, username: str | None) -> Actor:
    """Return the actor for ``--as USER``; without it the CLI acts as the local system administrator."""
    if username is None:
        return Actor.system()
    with hub.db.session() as s:
        user = get_user_by_name(s, username)
        if not user.is_active:
            # The server refuses a deactivated user's requests; the CLI acting for them must too.
            raise PermissionDenied(f"user {username!r} is deactivated; reactivate them to act as them", field="as")
        return actor_for(user)


def project_id(hub: Hub, actor: Actor, project: str) -> int:
    """Return the id of the project named (or numbered) ``project`` that ``actor`` may see; 404-style error if none."""
    with hub.db.session() as s:
        return get_project_by_name(s, actor, project).id


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[float, str], None]]:
    """Yield a ``progress(fraction, message)`` callback drawn as a rich progress bar on stderr.

    When stderr is not a terminal (a log file, CI) a bar cannot be drawn; a plain line is printed instead at
    every tenth of the work and whenever a new phase starts ("read ..." -> "writing ..."), so a long import in a
    log is not silent until its summary.
    """
    if not err_console.is_terminal:
        yield _progress_lines(description)
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[msg]}"),
        console=err_console,
    ) as bar:
        task = bar.add_task(description, total=1.0, msg="")

        def update(fraction: float, message: str) -> None:
            bar.update(task, completed=fraction, msg=message)

        yield update
        bar.update(task, completed=1.0)


def _progress_lines(description: str) -> Callable[[float, str], None]:
    """A progress callback that prints ``description: 40% read 40,000 of 100,000 items`` now and then."""
    last = {"step": -1, "phase": ""}

    def update(fraction: float, message: str) -> None:
        step, phase = int(max(0.0, min(1.0, fraction)) * 10), message.split(" ", 1)[0]
        if step != last["step"] or phase != last["phase"]:
            last["step"], last["phase"] = step, phase
            err_console.print(f"{description}: {fraction:.0%} {message}".rstrip(), highlight=False)

    return update
