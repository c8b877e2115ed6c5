"""What a training run costs in arithmetic, and about how long it takes on a CPU.

The FLOPs of one training image are counted, not assumed
(:func:`mnist_core.models.flops_per_image`, also what ``bench.flops`` sets against the machine's
peak and what the Train tab's queue estimate scales by). The time model puts them against a rate
per CPU thread, plus a fixed cost per step, fitted to three measured recipes on the 2-core
AVX-512 Xeon of ``bench/results/speed.json`` and ``flops.json``: ``fast`` (8.2 s of steps per
epoch), ``seed004`` (14.6 s) and ``seed000`` (51.1 s) come out at 8.7, 14.5 and 51.1 s. CPUs
differ more than that: the same ``fast`` epoch took 4.4 s on an AVX-512 EPYC and 21.4 s on an
AVX2 one. So this is an estimate to tell a class "about a minute" from "about half an hour".
"""

from __future__ import annotations

from mnist_core.models import flops_per_image
from mnist_core.recipes import Recipe
from mnist_core.train import planned_steps

#: FP32 GFLOP/s of training arithmetic per CPU thread (the fit above: 86.5 GFLOP/s on two threads).
CPU_GFLOPS_PER_THREAD = 43.0
#: Seconds per training step besides the arithmetic (optimizer, loss, small kernels): the fit above.
CPU_STEP_S = 1.5e-3
#: Seconds per image for the drawing distortions on one thread (about 15 ms a batch of 128 on the Xeon).
CPU_AUGMENT_IMAGE_S = 1.2e-4
#: Test images measured after every epoch.
TEST_IMAGES = 10_000


def cpu_seconds(recipe: Recipe, train_size: int, threads: int) -> float:
    """About how many seconds ``recipe`` trains on ``train_size`` MNIST images with ``threads`` CPU threads,
    its evaluations after every epoch and its calibration included."""
    threads = max(1, threads)
    forward, backward = flops_per_image(recipe.model)
    rate = CPU_GFLOPS_PER_THREAD * 1e9 * threads
    steps = planned_steps(recipe, train_size)
    images = steps * recipe.batch_size
    seconds = steps * CPU_STEP_S + images * (forward + backward) / rate
    if recipe.augment != "none":
        seconds += images * CPU_AUGMENT_IMAGE_S / threads
    return seconds + (recipe.epochs * TEST_IMAGES + recipe.holdout) * forward / rate
