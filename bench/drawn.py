"""How well models read drawn digits, side by side in one run.

    python -m bench.drawn                 # 2,000 drawn digits and 600 non-digits (a few minutes on 2 cores)
    python -m bench.drawn --quick         # 300 and 90: a smoke run
    python -m bench.drawn --record        # also store the drawn-digit accuracy in the checkpoint's metadata

The drawings come from :mod:`mnist_core.sketches` (single-stroke glyphs, and MNIST *test*
digits redrawn along their skeletons; never MNIST training images), rendered as the
sketchpad sends them (800x800 RGBA, round brush, palette colours, transparent or white).
Rows: a plain resize of the canvas to 28x28; the sketch preprocessing with the ``tiny-vgg``
seed model; the default drawing model with and without stroke normalisation. Then, for the
default model: accuracy per digit, the confusion matrix, calibration (ECE) before and after
its temperature, how often "not sure" is shown for digits and for non-digits, and the
latency of ``predict_drawing`` on these canvases.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from bench.common import REPO, Row, percentile, report
from mnist_core.calibration import expected_calibration_error, model_temperature, uncalibrated_logits
from mnist_core.checkpoint import load_checkpoint, save_checkpoint
from mnist_core.data import load_mnist, normalize
from mnist_core.evaluate import predict_proba
from mnist_core.predict import CONFIDENT, predict_drawing
from mnist_core.preprocess import sketch_to_mnist
from mnist_core.pretrained import default_checkpoint_path
from mnist_core.sketches import drawn_digits, non_digits

TARGET = 0.97


def plain_resize(canvas: np.ndarray) -> torch.Tensor:
    """The naive baseline: the whole canvas flattened on white, greyscale, inverted, resized to 28x28."""
    img = Image.fromarray(canvas)
    white = Image.new("RGBA", img.size, (255, 255, 255, 255))
    white.alpha_composite(img)
    grey = np.asarray(white.convert("L").resize((28, 28), Image.Resampling.BOX), np.float32) / 255.0
    return torch.from_numpy(1.0 - grey)


@dataclass
class DrawnSet:
    labels: torch.Tensor  # (N,) int64, -1 for non-digits
    sources: list[str]
    plain: torch.Tensor  # (N, 28, 28) float in [0, 1]
    sketch: torch.Tensor  # (N, 28, 28): the sketch preprocessing
    sketch_no_stroke: torch.Tensor  # (N, 28, 28): without stroke normalisation
    canvases: list[np.ndarray]  # a sample kept for timing


def build_set(drawings, keep: int) -> DrawnSet:
    labels, sources, plain, sketch, no_stroke, canvases = [], [], [], [], [], []
    for d in drawings:
        labels.append(d.label)
        sources.append(d.source)
        plain.append(plain_resize(d.canvas))
        sketch.append(sketch_to_mnist(d.canvas))
        no_stroke.append(sketch_to_mnist(d.canvas, stroke=False))
        if len(canvases) < keep:
            canvases.append(d.canvas)
    return DrawnSet(torch.tensor(labels), sources, torch.stack(plain), torch.stack(sketch), torch.stack(no_stroke),
                    canvases)


def accuracy(pred: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor | None = None) -> float:
    if mask is not None:
        pred, labels = pred[mask], labels[mask]
    return float((pred == labels).double().mean()) if len(labels) else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: 300 drawn digits, 90 non-digits")
    parser.add_argument("-n", type=int, help="number of drawn digits (default 2000; half glyphs, half MNIST test)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated drawings (default 0)")
    parser.add_argument("--checkpoint", type=Path, help="the drawing model (default: the app's default)")
    parser.add_argument("--record", action="store_true", help="store the drawn accuracy in the checkpoint")
    parser.add_argument("--data-dir", help="MNIST data root (default: $MNIST_DATA_DIR, else ./data)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "drawn.json")
    args = parser.parse_args(argv)
    n = args.n or (300 if args.quick else 2000)
    n_junk = max(30, round(n * 0.3))

    data = load_mnist(args.data_dir)
    path = args.checkpoint or default_checkpoint_path()
    ckpt = load_checkpoint(path)
    model, seed_model = ckpt.model, load_checkpoint(REPO / "assets" / "tiny-vgg-seed004.pt").model
    t0 = time.perf_counter()
    digits = build_set(drawn_digits(n, seed=args.seed, test_images=data.test_images, test_labels=data.test_labels),
                       keep=1000)
    junk = build_set(non_digits(n_junk, seed=args.seed), keep=0)
    print(f"rendered and preprocessed {n} drawn digits and {n_junk} non-digits in {time.perf_counter() - t0:.0f} s")

    y = digits.labels
    glyph = torch.tensor([s == "glyph" for s in digits.sources])

    def predictions(m: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
        return predict_proba(m, normalize(images), batch_size=500)  # (N, 10)

    name = path.name
    runs = {
        "plain resize of the canvas, tiny-vgg-seed004": predictions(seed_model, digits.plain),
        f"plain resize of the canvas, {name}": predictions(model, digits.plain),
        "sketch preprocessing, tiny-vgg-seed004": predictions(seed_model, digits.sketch),
        f"sketch preprocessing without stroke normalisation, {name}": predictions(model, digits.sketch_no_stroke),
        f"sketch preprocessing, {name} (default)": predictions(model, digits.sketch),
    }
    rows = []
    print("\n### Drawn-digit accuracy by method and source\n")
    print(f"| method | all ({n}) | glyph ({int(glyph.sum())}) | mnist-test redrawn ({int((~glyph).sum())}) |")
    print("| --- | --- | --- | --- |")
    for method, probs in runs.items():
        pred = probs.argmax(1)
        acc, acc_g, acc_m = accuracy(pred, y), accuracy(pred, y, glyph), accuracy(pred, y, ~glyph)
        print(f"| {method} | {acc:.1%} | {acc_g:.1%} | {acc_m:.1%} |")
        is_default = method.endswith("(default)")
        rows.append(Row(f"drawn digits: {method}", f"{acc:.1%} (glyph {acc_g:.1%}, mnist-test {acc_m:.1%})",
                        f">= {TARGET:.0%}" if is_default else "-", acc >= TARGET if is_default else None,
                        numbers={"accuracy": acc, "glyph": acc_g, "mnist_test": acc_m}))

    probs = runs[f"sketch preprocessing, {name} (default)"]
    pred = probs.argmax(1)
    confusion = torch.bincount(y * 10 + pred, minlength=100).reshape(10, 10)
    per_digit = confusion.diagonal().double() / confusion.sum(1).clamp(min=1)
    print(f"\n### Default model ({name}): accuracy per digit and source\n")
    print("| source | " + " | ".join(str(d) for d in range(10)) + " |\n|" + " --- |" * 11)
    for label, mask in (("all", torch.ones_like(glyph)), ("glyph", glyph), ("mnist-test", ~glyph)):
        cells = [accuracy(pred, y, mask & (y == d)) for d in range(10)]
        print(f"| {label} | " + " | ".join(f"{a:.1%}" for a in cells) + " |")
    print("\n### Confusion matrix (rows: drawn digit, columns: predicted)\n")
    print("| | " + " | ".join(str(d) for d in range(10)) + " |\n|" + " --- |" * 11)
    for t in range(10):
        print(f"| **{t}** | " + " | ".join(str(int(c)) for c in confusion[t]) + " |")
    rows.append(Row("drawn digits, default model: accuracy per digit",
                    ", ".join(f"{d}: {a:.1%}" for d, a in enumerate(per_digit.tolist())), "-", None,
                    numbers={"per_digit": per_digit.tolist(), "confusion": confusion.tolist()}))

    # Calibration: ECE with the model's fitted temperature and with it undone (T = 1).
    temperature = model_temperature(model)
    raw_drawn = probs  # the default model's probabilities on the drawn digits, computed above
    logits_drawn = raw_drawn.clamp_min(1e-12).log() * temperature  # logits up to a constant, T undone
    ece_drawn = (expected_calibration_error(F.softmax(logits_drawn, 1), y), expected_calibration_error(raw_drawn, y))
    logits_test = uncalibrated_logits(model, data.test_images)
    ece_test = (expected_calibration_error(F.softmax(logits_test, 1), data.test_labels),
                expected_calibration_error(F.softmax(logits_test / temperature, 1), data.test_labels))
    held = ckpt.metadata
    held_text = (f"held-out MNIST training images (fit): {held['ece_before']:.2%} -> {held['ece_after']:.2%}; "
                 if "ece_before" in held else "")
    rows.append(Row(f"calibration, expected calibration error before -> after temperature {temperature:.2f}",
                    f"{held_text}MNIST test: {ece_test[0]:.2%} -> {ece_test[1]:.2%}; drawn digits: "
                    f"{ece_drawn[0]:.2%} -> {ece_drawn[1]:.2%}", "lower after", ece_test[1] < ece_test[0],
                    numbers={"temperature": temperature, "mnist_test": ece_test, "drawn": ece_drawn}))

    # "Not sure": how often it is shown for real digits (should be rare) and for non-digits (should be common).
    junk_conf = predict_proba(model, normalize(junk.sketch), batch_size=500).max(1).values
    digit_conf = probs.max(1).values
    flagged_digits = float((digit_conf < CONFIDENT).double().mean())
    by_kind = {k: float((junk_conf[[s == k for s in junk.sources]] < CONFIDENT).double().mean())
               for k in ("scribble", "letter", "two-digits")}
    wrong = pred != y
    flagged_wrong = float((digit_conf[wrong] < CONFIDENT).double().mean()) if wrong.any() else float("nan")
    accuracy_when_sure = accuracy(pred, y, digit_conf >= CONFIDENT)
    rows.append(Row(f'"not sure" (confidence < {CONFIDENT:.0%}) on drawn digits',
                    f"{flagged_digits:.1%} of digits flagged; {flagged_wrong:.0%} of the wrong answers flagged; "
                    f"accuracy when sure {accuracy_when_sure:.1%}", "-", None,
                    numbers={"flagged": flagged_digits, "flagged_wrong": flagged_wrong,
                             "accuracy_when_sure": accuracy_when_sure}))
    rows.append(Row(f'"not sure" on non-digits ({n_junk})',
                    ", ".join(f"{k} {v:.0%}" for k, v in by_kind.items()), "most flagged", None, numbers=by_kind))

    # Latency of predict_drawing on the canvases the app receives.
    predict_drawing(model, digits.canvases[0])
    times = []
    for canvas in digits.canvases:
        t = time.perf_counter()
        predict_drawing(model, canvas)
        times.append(time.perf_counter() - t)
    p50, p99 = percentile(times, 50) * 1e3, percentile(times, 99) * 1e3
    rows.append(Row(f"predict_drawing latency ({len(times)} drawn 800x800 RGBA canvases, "
                    f"{torch.get_num_threads()} torch thread(s))", f"p50 {p50:.2f} ms, p99 {p99:.2f} ms",
                    "p50 <= 3 ms, p99 <= 10 ms", p50 <= 3 and p99 <= 10, numbers={"p50_ms": p50, "p99_ms": p99}))

    mnist_acc = ckpt.test_accuracy
    rows.append(Row(f"MNIST test accuracy of {name} (from its checkpoint)",
                    f"{mnist_acc:.2%}" if mnist_acc is not None else "unknown", ">= 99.3%",
                    None if mnist_acc is None else mnist_acc >= 0.993))
    command = "python -m bench.drawn" + (" --quick" if args.quick else "") + (f" -n {args.n}" if args.n else "")
    report(f"Drawn digits ({n} drawings, seed {args.seed})" + (" (quick run)" if args.quick else ""), rows,
           args.out, command)

    if args.record:
        drawn = runs[f"sketch preprocessing, {name} (default)"].argmax(1)
        metadata = dict(ckpt.metadata)
        metadata.update(drawn_accuracy=accuracy(drawn, y), drawn_accuracy_glyph=accuracy(drawn, y, glyph),
                        drawn_accuracy_mnist_test=accuracy(drawn, y, ~glyph), drawn_set=f"{command} (seed {args.seed})")
        for key in ("model", "saved_at", "versions"):
            metadata.pop(key, None)
        save_checkpoint(path, ckpt.model_name, model, metadata=metadata)
        print(f"recorded the drawn-digit accuracy in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
