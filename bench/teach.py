"""How long "Teach the model" keeps a class waiting, and what it learns and costs.

    python -m bench.teach            # the shipped drawing model taught 2 and 10 drawings, 3 runs each
    python -m bench.teach --quick    # one run of 2 drawings (CI smoke)

Each run is :func:`mnist_core.teach.teach` as the Draw tab calls it (on the CPU): the whole
generator is timed, so the figure is what the class waits between the click and the result,
less the base model's first MNIST measurement (made once per model and process, and kept).
The drawings are shapes no model has learnt, each said to be a digit it is not read as
(:data:`tests.support.sketches.CROSS` is a 4, a hash sign an 8, ...), drawn a little differently each
time, so what it learns is visible: how many it reads right before and after, and the MNIST
test accuracy before and after. Runs use one thread (an app whose visitors are drawing meanwhile)
and every core (what the app lends a teaching run when it is the only run: ``demo.server.cores``).
"""

from __future__ import annotations

import sys
import time
from statistics import median

import numpy as np
import torch

from bench.common import Row, bench_parser, report
from mnist_core.checkpoint import load_checkpoint
from mnist_core.data import load_mnist
from mnist_core.evaluate import evaluate
from mnist_core.examples import Example, as_digits
from mnist_core.paths import ASSETS_DIR
from mnist_core.preprocess import sketch_to_mnist
from mnist_core.teach import Taught, teach
from tests.support.sketches import CROSS, plain_strokes

#: Shapes that are no digit, and the digit each is taught to be.
SHAPES = [
    (CROSS, 4),
    ([[(0.4, 0.2), (0.34, 0.8)], [(0.65, 0.2), (0.59, 0.8)], [(0.22, 0.4), (0.78, 0.4)], [(0.2, 0.6), (0.76, 0.6)]], 8),
    ([[(0.2, 0.8), (0.5, 0.2), (0.8, 0.8), (0.2, 0.8)]], 0),  # a triangle
    ([[(0.2, 0.5), (0.8, 0.5)], [(0.5, 0.2), (0.5, 0.8)]], 7),  # a plus sign
    ([[(0.25, 0.25), (0.75, 0.25), (0.75, 0.75), (0.25, 0.75), (0.25, 0.25)]], 2),  # a square
]


def examples(n: int) -> list[Example]:
    """``n`` drawings: the shapes in turn, each time shifted a little (a new drawing of the same thing)."""
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        strokes, label = SHAPES[i % len(SHAPES)]
        shift = tuple(rng.uniform(-0.06, 0.06, 2)) if i >= len(SHAPES) else (0.0, 0.0)
        digit = sketch_to_mnist(plain_strokes(strokes, size=400, shift=shift))
        out.append(Example((digit.numpy() * 255).round().astype(np.uint8), label))
    return out


def one_run(n: int, data, shipped) -> tuple[float, Taught]:
    start = time.perf_counter()
    taught = [e for e in teach(shipped.model, shipped.model_name, as_digits(examples(n)), data,
                               base_metadata=shipped.metadata, device="cpu") if isinstance(e, Taught)][-1]
    return time.perf_counter() - start, taught


def bench_teach(sizes: list[int], repeat: int, data_dir: str | None) -> list[Row]:
    data = load_mnist(data_dir)
    shipped = load_checkpoint(ASSETS_DIR / "drawing-cnn.pt")
    before = evaluate(shipped.model, data.test_images, data.test_labels).accuracy
    rows = []
    threads = torch.get_num_threads()
    for n in sizes:
        for use in sorted({1, threads}):
            torch.set_num_threads(use)
            runs = [one_run(n, data, shipped) for _ in range(repeat)]
            seconds = [s for s, _ in runs]
            taught = runs[-1][1]
            train = median([t.metadata["taught"]["train_seconds"] for _, t in runs])
            wait = median(seconds)
            rows.append(Row(
                f"Teach the model {n} drawings on {use} thread{'s' if use > 1 else ''}: click to result",
                f"{wait:.1f} s (median of {repeat}; {train:.1f} s of it training, "
                f"{taught.metadata['taught']['steps']} steps)",
                "a few seconds on a CPU (≤ 10 s)", wait <= 10,
                note=f"read right {taught.right_before} of {n} before → {taught.right_after} after; MNIST test "
                     f"{before:.2%} → {taught.test_accuracy:.2%}",
                numbers={"seconds": seconds, "train_seconds": train, "examples": n, "threads": use,
                         "right_before": taught.right_before, "right_after": taught.right_after,
                         "mnist_before": before, "mnist_after": taught.test_accuracy}))
    torch.set_num_threads(threads)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__, "teach", "one run of 2 drawings", data_dir=True)
    args = parser.parse_args(argv)
    rows = bench_teach([2] if args.quick else [2, 10], 1 if args.quick else 3, args.data_dir)
    command = "python -m bench.teach" + (" --quick" if args.quick else "")
    report("Teaching the model your handwriting" + (" (quick smoke run: figures not comparable)" if args.quick
                                                   else ""), rows, args.out, command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
