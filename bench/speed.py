"""Speed benchmarks of the engine, side by side in one run.

    python -m bench.speed            # the full suite (about 10 minutes on 2 CPU cores)
    python -m bench.speed --quick    # a smoke run on a slice of the data (CI)

Rows: the ``fast`` recipe's time to 99% (median of 3 seeds); seconds per epoch of the
``seed000`` and ``seed004`` recipes against the classic DataLoader loop of
``bench/reference_loop.py`` (same model, batch and machine, measured in this run); the
test-set confusion matrix of ``tiny-vgg``; prediction in process (sketch preprocessing and
forward pass) over 1000 sketches. The app's own figures are in ``bench/app.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import torch

from bench.common import REPO, Row, median, percentile, report, time_calls
from bench.reference_loop import reference_epoch, reference_loaders, reference_test
from mnist_core.checkpoint import load_checkpoint
from mnist_core.data import MNISTData, load_mnist, locate_mnist
from mnist_core.evaluate import evaluate
from mnist_core.predict import predict_drawing
from mnist_core.pretrained import default_checkpoint_path
from mnist_core.recipes import get_recipe, make_optimizer
from mnist_core.sketches import drawn_digits
from mnist_core.train import EpochEvent, FinishedEvent, init_model, train


def subset(data: MNISTData, n_train: int) -> MNISTData:
    """The first ``n_train`` training images (and the whole test set)."""
    return dataclasses.replace(data, train_images=data.train_images[:n_train],
                               train_labels=data.train_labels[:n_train])


def time_to_99(data: MNISTData, seed: int) -> tuple[float, float]:
    """Wall seconds (training and the evaluations it needs) until the fast recipe first reaches 99%."""
    recipe = get_recipe("fast", seed=seed)
    accuracy = 0.0
    for event in train(init_model(recipe.model, seed), data, recipe):
        if isinstance(event, EpochEvent):
            accuracy = event.test_accuracy
            if accuracy >= 0.99:
                return event.elapsed, accuracy
        if isinstance(event, FinishedEvent):
            return float("inf"), accuracy
    return float("inf"), accuracy


def bench_fast(data: MNISTData, seeds: list[int]) -> Row:
    runs = [time_to_99(data, s) for s in seeds]
    times = [t for t, _ in runs]
    value = f"{median(times):.1f} s median of {len(seeds)} seeds ({', '.join(f'{t:.1f}' for t in times)} s; " \
            f"accuracy {', '.join(f'{a:.2%}' for _, a in runs)})"
    return Row("`fast` recipe: training until test accuracy >= 99.0%", value, "<= 10 s",
               median(times) <= 10, numbers={"seconds": times, "accuracy": [a for _, a in runs]})


def ours_one_epoch(data: MNISTData, recipe_name: str) -> tuple[float, float]:
    """Training seconds of one epoch with mnist_core's loop, and the test accuracy after it."""
    recipe = get_recipe(recipe_name, epochs=1)
    final = [e for e in train(init_model(recipe.model, recipe.seed), data, recipe, device="cpu")][-1]
    return final.train_seconds, final.test_accuracy


def reference_one_epoch(root: Path, recipe_name: str, n_train: int) -> tuple[float, float]:
    """Seconds of one epoch of the classic DataLoader loop with the same model, optimiser and batch."""
    recipe = get_recipe(recipe_name, epochs=1)
    train_loader, test_loader = reference_loaders(root, recipe.batch_size, recipe.test_batch_size)
    if n_train < len(train_loader.dataset):
        train_loader = torch.utils.data.DataLoader(
            torch.utils.data.Subset(train_loader.dataset, range(n_train)), batch_size=recipe.batch_size,
            shuffle=True)
    model = init_model(recipe.model, recipe.seed)
    seconds = reference_epoch(model, train_loader, make_optimizer(recipe, model))
    return seconds, reference_test(model, test_loader)


def bench_recipe_vs_reference(data: MNISTData, root: Path, recipe_name: str, target_ratio: float,
                              n_train: int) -> Row:
    ref_s, ref_acc = reference_one_epoch(root, recipe_name, n_train)
    ours_s, ours_acc = ours_one_epoch(subset(data, n_train), recipe_name)
    ratio = ref_s / ours_s
    return Row(f"`{recipe_name}`: seconds per epoch vs the reference loop",
               f"{ours_s:.1f} s vs {ref_s:.1f} s = {ratio:.2f}x faster "
               f"(accuracy after 1 epoch {ours_acc:.2%} vs {ref_acc:.2%})",
               f">= {target_ratio:g}x at equal accuracy", ratio >= target_ratio and ours_acc >= ref_acc - 0.003,
               numbers={"ours_s": ours_s, "reference_s": ref_s, "ratio": ratio, "ours_accuracy": ours_acc,
                        "reference_accuracy": ref_acc, "train_images": n_train})


def bench_confusion(data: MNISTData) -> Row:
    model = load_checkpoint(REPO / "assets" / "tiny-vgg-seed004.pt").model
    evaluate(model, data.test_images[:1000], data.test_labels[:1000])  # warm-up
    times = time_calls(lambda: evaluate(model, data.test_images, data.test_labels), 5)
    return Row("test-set confusion matrix, `tiny-vgg` (10,000 images)", f"{median(times):.2f} s median of 5",
               "<= 2 s", median(times) <= 2, numbers={"seconds": times})


def bench_predict(data: MNISTData, n: int) -> Row:
    path = default_checkpoint_path()
    model = load_checkpoint(path).model
    # Round-brush drawings on 800x800 RGBA canvases, as the app receives them (mnist_core.sketches).
    canvases = [d.canvas for d in drawn_digits(n, seed=0, test_images=data.test_images,
                                               test_labels=data.test_labels)]
    predict_drawing(model, canvases[0])  # warm-up
    times = []
    for canvas in canvases:
        t0 = time.perf_counter()
        predict_drawing(model, canvas)
        times.append(time.perf_counter() - t0)
    p50, p99 = percentile(times, 50) * 1e3, percentile(times, 99) * 1e3
    return Row(f"prediction in process ({path.name}: preprocessing + forward), {n} sketches",
               f"p50 {p50:.1f} ms, p99 {p99:.1f} ms", "p50 <= 3 ms, p99 <= 10 ms", p50 <= 3 and p99 <= 10,
               numbers={"p50_ms": p50, "p99_ms": p99})


def gpu_row() -> Row:
    return Row("GPU: `fast` to >= 99.0%", "not measured", "<= 0.5 s", None,
               note="no GPU on this machine" if not torch.cuda.is_available() else "run with --gpu")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: a slice of the data, one seed")
    parser.add_argument("--data-dir", help="MNIST data root (default: $MNIST_DATA_DIR, else ./data)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "speed.json")
    args = parser.parse_args(argv)

    root = locate_mnist(args.data_dir)
    data = load_mnist(args.data_dir)
    n_train = 3000 if args.quick else 60000
    rows = [
        bench_confusion(data),
        bench_predict(data, 100 if args.quick else 1000),
        bench_recipe_vs_reference(data, root, "seed004", 3, n_train),
        bench_recipe_vs_reference(data, root, "seed000", 2, n_train),
    ]
    if not args.quick:
        rows.insert(0, bench_fast(data, [1, 2, 3]))
    rows.append(gpu_row())
    command = "python -m bench.speed" + (" --quick" if args.quick else "")
    report("Engine speed" + (" (quick smoke run: figures not comparable)" if args.quick else ""), rows, args.out,
           command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
