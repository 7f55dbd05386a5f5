"""The notifier: one background thread per server process that runs the audit log's consumers (webhook
delivery, alert rules) every ``interval`` seconds, and again at once while any of them still has work.

Each consumer is a :class:`NotifierTask`; it keeps its own cursor in the database and takes a lease before it
works, so several server processes may each run a notifier. A task that raises is logged and tried again on the
next round; it never stops the others.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from labelhub.hub import Hub

log = logging.getLogger("labelhub.notifier")


class NotifierTask(Protocol):
    """One consumer of the audit log."""

    name: str

    def step(self, hub: Hub, owner: str) -> bool:
        """Handle what is due now as lease holder ``owner``; True when there may be more to do at once."""
        ...


def default_tasks() -> list[NotifierTask]:
    """The consumers every worker runs: alert rules first, so the alerts a round raises go out to the webhooks
    in the same round."""
    from labelhub.services.alert_evaluator import AlertEvaluator
    from labelhub.services.webhook_dispatch import WebhookDispatcher

    return [AlertEvaluator(), WebhookDispatcher()]


def owner_name() -> str:
    """This process's name on the leases it takes: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Notifier:
    def __init__(self, hub: Hub, tasks: Sequence[NotifierTask], *, interval: float = 1.0) -> None:
        self.hub = hub
        self.tasks = list(tasks)
        self.interval = interval
        self.owner = f"{owner_name()}:notifier"
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None and self.tasks:
            self._thread = threading.Thread(target=self._run, name="labelhub-notifier", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        """Run the tasks now rather than at the next tick (after a write that has consumers waiting)."""
        self._wake.set()

    def run_once(self) -> bool:
        """One round over every task; True when one of them said it has more to do."""
        busy = False
        for task in self.tasks:
            try:
                busy = task.step(self.hub, self.owner) or busy
            except Exception:  # one consumer's bug must not stop the others, nor the thread
                log.exception("notifier task %s failed; trying again next round", task.name)
        return busy

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.run_once():
                continue
            self._wake.wait(self.interval)
            self._wake.clear()
