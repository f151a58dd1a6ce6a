"""What every afina screen shares: a worker that fails tells the person, it does not crash."""

from __future__ import annotations

import logging

from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from afina.engine.text import printable

log = logging.getLogger("afina.tui")


class AfinaScreen(Screen[None]):
    """Workers here run with exit_on_error=False; their failures end up in this handler."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state == WorkerState.ERROR and worker.error is not None:
            error = worker.error
            log.error("%s failed", worker.description or worker.name, exc_info=error)
            self.notify(
                str(error) or type(error).__name__,
                title=f"{worker.description or worker.name} failed",
                severity="error",
                timeout=10,
            )
            self.worker_failed(worker)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        # Notes name files, senders and errors that quote the data: drawn, never obeyed.
        super().notify(
            printable(message),
            title=printable(title),
            severity=severity,
            timeout=timeout,
            markup=markup,
        )

    def worker_failed(self, worker: Worker[object]) -> None:
        """Hook for a screen to undo 'busy' state after a worker failed."""
