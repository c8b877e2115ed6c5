"""How close the ``fast`` recipe's training comes to the machine's FP32 peak.

    python -m bench.flops            # one epoch of the fast recipe on all 60,000 images
    python -m bench.flops --quick    # a smoke run on 3,000 images (CI)

A time alone cannot tell a slow machine from slow code: the same command took 4.4 s on one
"AMD EPYC, 2 cores" and 21 s on another. This script counts the FP32 FLOPs of one training
image (forward and backward: :func:`mnist_core.models.flops_per_image`), multiplies by the images
per second the recipe's training steps reach, and sets the product against the peak that
:func:`bench.common.machine` estimates.
"""

from __future__ import annotations

import sys

import torch

from bench.common import Row, bench_parser, machine, report
from bench.speed import subset
from mnist_core.data import load_mnist
from mnist_core.models import flops_per_image
from mnist_core.recipes import Recipe, get_recipe
from mnist_core.train import FinishedEvent, init_model, train


def training_images_per_second(recipe: Recipe, n_train: int, data_dir: str | None) -> tuple[float, int, float]:
    """Images per second of the recipe's training steps alone (evaluation excluded), the images and the seconds."""
    data = subset(load_mnist(data_dir), n_train)
    final = [e for e in train(init_model(recipe.model, recipe.seed), data, recipe)][-1]
    assert isinstance(final, FinishedEvent)
    images = len(data.train_images) * final.epochs_completed
    return images / final.train_seconds, images, final.train_seconds


def bench_flops(n_train: int, data_dir: str | None) -> list[Row]:
    recipe = get_recipe("fast")
    forward, backward = flops_per_image(recipe.model)
    per_image = forward + backward
    rate, images, seconds = training_images_per_second(recipe, n_train, data_dir)
    achieved = per_image * rate / 1e9  # GFLOP/s
    info = machine()
    peak = info["fp32_peak_gflops"]
    threads = min(torch.get_num_threads(), info["cores"])
    share = f" = {achieved / peak:.1%} of the estimated FP32 peak, ~{peak:g} GFLOP/s" if peak else \
        " (the machine's peak is not known: its clock could not be read)"
    if peak and threads < info["cores"]:  # the peak counts every core; say what the cores in use allow too
        share += f" ({achieved / (peak * threads / info['cores']):.1%} of the {threads} core(s) in use)"
    return [
        Row(f"`fast` recipe (`{recipe.model}`, batch {recipe.batch_size}): FP32 FLOPs per training image",
            f"{per_image / 1e6:.2f} MFLOP (forward {forward / 1e6:.2f}, backward {backward / 1e6:.2f})",
            "none: a count", None, note="convolutions and matrix products, by FlopCounterMode",
            numbers={"forward_flops": forward, "backward_flops": backward}),
        Row("`fast` recipe: achieved FP32 FLOP/s in its training steps",
            f"{achieved:.1f} GFLOP/s ({rate:.0f} images/s, {images} images in {seconds:.1f} s of steps){share}",
            "none: tells a slow machine from slow code", None,
            note=f"{torch.get_num_threads()} torch thread(s)",
            numbers={"gflops": achieved, "images_per_sec": rate, "images": images, "train_seconds": seconds,
                     "peak_gflops": peak, "share_of_peak": achieved / peak if peak else None}),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__, "flops", "3,000 training images", data_dir=True)
    args = parser.parse_args(argv)
    rows = bench_flops(3000 if args.quick else 60000, args.data_dir)
    command = "python -m bench.flops" + (" --quick" if args.quick else "")
    report("FLOP/s against the machine's peak" + (" (quick smoke run: figures not comparable)" if args.quick else ""),
           rows, args.out, command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
