"""Who gets the CPU cores: a training run alone on the app gets all of them, and gives them back at once.

The app runs torch with one thread per operation (``app.py``): a training run and the
visitors' predictions each keep a core, and neither slows the other down many times over.
But most of the time a class watches one run and nobody draws: then the second core sits
idle while the ``fast`` recipe takes 2-3 times longer than from the command line. So a run
borrows every core while it is the only run and nobody has asked for a prediction for
``quiet_seconds``; the first prediction takes them back before it runs, and the run checks
again at each chart update (about once a second).

``torch.set_num_threads`` is process-wide (measured: a thread that sets it changes what every
other thread gets), which is what makes lending and taking back this simple.
"""

from __future__ import annotations

import threading
import time

import torch

from mnist_core.host import usable_cpus

#: Seconds without a prediction before a lone run may use every core.
QUIET_SECONDS = 10.0


def available_cores() -> int:
    """Cores this process may keep busy: a container's cpuset and CPU quota, not the host's count (a Space
    may show all 32 cores of its host and allow 2: 32 threads there would trip over each other)."""
    return usable_cpus()


class CoreShare:
    """Lends every core to a lone training run; see the module's docstring."""

    def __init__(self, quiet_seconds: float = QUIET_SECONDS, cores: int | None = None) -> None:
        self.quiet_seconds = quiet_seconds
        self.cores = cores or available_cores()
        self._last_prediction = float("-inf")
        self._lent_from: int | None = None  # the thread count before lending, while lent
        self._lock = threading.Lock()

    def note_prediction(self) -> None:
        """A visitor wants a prediction now: a run that borrowed the cores gives them back first."""
        with self._lock:
            self._last_prediction = time.monotonic()
            self._take_back()

    def update(self, runs_active: int, quiet_seconds: float | None = None) -> int:
        """Lend or take back the cores for a run, given how many runs are active; the threads it trains with.

        ``quiet_seconds`` overrides how long predictions must have stopped: a teaching run passes 0,
        because the predictions just before it were its own visitor's, who now waits for it.
        """
        with self._lock:
            wait = self.quiet_seconds if quiet_seconds is None else quiet_seconds
            quiet = time.monotonic() - self._last_prediction >= wait
            if runs_active <= 1 and quiet:
                if self._lent_from is None and torch.get_num_threads() < self.cores:
                    self._lent_from = torch.get_num_threads()
                    torch.set_num_threads(self.cores)
            else:
                self._take_back()
            return torch.get_num_threads()

    def release(self) -> None:
        """A run ended: the app goes back to its own thread count."""
        with self._lock:
            self._take_back()

    @property
    def lent(self) -> bool:
        return self._lent_from is not None

    def _take_back(self) -> None:
        if self._lent_from is not None:
            torch.set_num_threads(self._lent_from)
            self._lent_from = None
