"""What the API tests share: a training run started through ``/train``, stopped once it streams, and its outputs."""

from __future__ import annotations

import time
from typing import Any


def train_then_stop(client: Any, *settings: Any, timeout: float = 120) -> tuple:
    """Start ``/train`` with ``settings`` (model, recipe, epochs, batch, lr, seed), press ``/stop`` once the status
    says an epoch is under way, and return the run's final outputs."""
    job = client.submit(*settings, api_name="/train")
    deadline = time.monotonic() + timeout
    while not any(out and "Epoch" in str(out[1]) for out in job.outputs()) and time.monotonic() < deadline:
        time.sleep(0.1)  # polling the client's outputs: no event to wait on outside a page
    client.predict(api_name="/stop")
    return job.result(timeout=timeout)
