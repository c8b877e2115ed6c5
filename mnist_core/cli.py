"""Command line: ``python -m mnist_core {train,teach,eval,predict,models,recipes} --help``.

The app and this CLI call the same functions; nothing here trains, evaluates or
preprocesses by itself. User mistakes (a missing file, an unknown model, no data) end
with one ``error:`` line and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import threading
from pathlib import Path

from torch import nn
from tqdm import tqdm

from mnist_core.checkpoint import CheckpointError, check_save_target, load_checkpoint, save_with_rescue
from mnist_core.data import TEST_SIZE, MNISTData, MNISTUnavailableError, load_mnist
from mnist_core.device import DeviceError, pick_device
from mnist_core.evaluate import Evaluation, evaluate, evaluating, run_to_end
from mnist_core.examples import ExamplesError, as_digits, read_examples
from mnist_core.handwriting import HandwritingUnavailableError
from mnist_core.models import MODELS, UnknownModelError, count_parameters, count_parameters_of
from mnist_core.paths import cache_dir
from mnist_core.predict import predict_drawing
from mnist_core.preprocess import ImageInputError, load_image_file
from mnist_core.pretrained import default_checkpoint_path
from mnist_core.recipes import RECIPES, InvalidRecipeError, get_recipe
from mnist_core.runs import finish_run, load_training_data
from mnist_core.teach import Taught, teach
from mnist_core.train import EpochEvent, EvaluatingEvent, FinishedEvent, StartEvent, StepEvent, init_model, train

USER_ERRORS = (MNISTUnavailableError, HandwritingUnavailableError, CheckpointError, InvalidRecipeError,
               UnknownModelError, ImageInputError, DeviceError, ExamplesError)


def _add_data_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", metavar="DIR",
                   help="folder holding MNIST/raw/ (default: $MNIST_DATA_DIR, else ./data); "
                        "downloaded there on first use if missing and writable")


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (a batch of 0 or -1 images means nothing)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text[:40]!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _add_device(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", help="cpu, cuda, mps, ... (default: the accelerator if there is one, else cpu)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mnist_core",
        description="Train, evaluate and use MNIST digit classifiers (the engine behind the Gradio demo).",
        epilog="Run 'python -m mnist_core COMMAND --help' for a command's options.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("train", help="train a model and save a checkpoint",
                       description="Train a registered model with a named recipe; any recipe setting "
                                   "can be overridden. Shows progress, the test accuracy after each epoch, "
                                   "and saves a checkpoint. Ctrl-C stops early and still saves.")
    p.add_argument("--model", choices=list(MODELS), help="architecture (default: the recipe's own)")
    p.add_argument("--recipe", choices=list(RECIPES), default="fast", help="training preset (default: fast)")
    p.add_argument("--epochs", type=int, help="override the recipe's number of epochs")
    p.add_argument("--batch-size", type=int, help="override the recipe's batch size")
    p.add_argument("--lr", type=float, help="override the recipe's learning rate")
    p.add_argument("--seed", type=int, help="override the recipe's random seed")
    p.add_argument("--out", type=Path, help="checkpoint path (default: runs/MODEL-RECIPE.pt)")
    _add_data_dir(p)
    _add_device(p)

    p = sub.add_parser("teach", help="teach a checkpoint your own handwriting (examples from the Draw tab)",
                       description="Fine-tune a copy of a checkpoint on your own examples (the zip the Draw "
                                   "tab's 'Download your examples' gives), mixed with replayed MNIST so it "
                                   "does not forget, exactly as the app's 'Teach the model' does. Prints how "
                                   "many examples it read right before and after, and its MNIST test accuracy "
                                   "before and after.")
    p.add_argument("--checkpoint", type=Path, metavar="PATH",
                   help="checkpoint to start from (default: the shipped drawing model in assets/)")
    p.add_argument("--examples", type=Path, required=True, metavar="ZIP", help="your examples (a .zip)")
    p.add_argument("--out", type=Path, required=True, metavar="PATH", help="where to save the taught checkpoint")
    p.add_argument("--seed", type=int, default=0, help="random seed of the run (default: 0)")
    _add_data_dir(p)
    _add_device(p)

    p = sub.add_parser("eval", help="test a checkpoint on the MNIST test set",
                       description="Evaluate a checkpoint (ours, or a plain state_dict saved by the "
                                   f"pytorch/examples script) on the {TEST_SIZE:,} test images.")
    p.add_argument("--checkpoint", type=Path, required=True, metavar="PATH", help="checkpoint file")
    p.add_argument("--json", action="store_true", help='print {"model", "accuracy", "test_loss"} as JSON')
    p.add_argument("--batch-size", type=positive_int, default=250, help="images per forward pass (default: 250)")
    _add_data_dir(p)
    _add_device(p)

    p = sub.add_parser("predict", help="read the digit in image files",
                       description="Predict the digit in each image (any size or colours; the digit is "
                                   "found, scaled and centred the way MNIST digits are).")
    p.add_argument("--checkpoint", type=Path, metavar="PATH",
                   help="checkpoint file (default: the shipped drawing model in assets/)")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files (PNG, JPEG, ...)")
    p.add_argument("--json", action="store_true", help="print one JSON object per image")

    sub.add_parser("models", help="list the registered models",
                   description="List each registered model with its parameter count and description.")
    sub.add_parser("recipes", help="list the training recipes",
                   description="List each training recipe with its settings.")
    return parser


def _cmd_models(_: argparse.Namespace) -> int:
    width = max(map(len, MODELS))
    print(f"{'name':<{width}}  {'parameters':>10}  description")
    for name, spec in MODELS.items():
        print(f"{name:<{width}}  {count_parameters_of(name):>10,}  {spec.description}")
    return 0


def _cmd_recipes(_: argparse.Namespace) -> int:
    for r in RECIPES.values():
        print(f"{r.name}: {r.description}\n    model={r.model} epochs={r.epochs} batch_size={r.batch_size} "
              f"lr={r.lr:g} optimizer={r.optimizer} scheduler={r.scheduler} "
              f"label_smoothing={r.label_smoothing:g} seed={r.seed}")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    recipe = get_recipe(args.recipe, model=args.model, epochs=args.epochs, batch_size=args.batch_size,
                        lr=args.lr, seed=args.seed)
    default_name = f"{recipe.model}-{recipe.name}.pt"
    out = args.out or Path("runs") / default_name
    check_save_target(out)  # a bad --out is said now, not after the training
    device = pick_device(args.device)  # a missing GPU is reported now, not after loading the data

    def say(message: str) -> None:
        print(message, file=sys.stderr)

    data = load_training_data(recipe, args.data_dir, progress=say)
    model = init_model(recipe.model, recipe.seed)

    stop = threading.Event()

    def on_sigint(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        tqdm.write("Stopping after this step (Ctrl-C again to abort without saving)...")

    previous = signal.signal(signal.SIGINT, on_sigint) if threading.current_thread() is threading.main_thread() \
        else None
    bar = None
    final = None
    try:
        for event in train(model, data.mnist, recipe, device=device, stop=stop, handwriting=data.handwriting):
            if isinstance(event, StartEvent):
                print(f"Training {recipe.model} ({count_parameters(model):,} parameters) with recipe "
                      f"{recipe.name} on {event.device}: {event.epochs} epochs of {event.steps_per_epoch} steps")
                bar = tqdm(total=event.total_steps, unit="step", dynamic_ncols=True)
            elif isinstance(event, StepEvent):
                bar.set_description(f"epoch {event.epoch}/{recipe.epochs}", refresh=False)
                bar.set_postfix(loss=f"{event.loss:.4f}", lr=f"{event.lr:.2g}",
                                img_s=f"{event.images_per_sec:,.0f}", refresh=False)
                bar.update(event.global_step - bar.n)
            elif isinstance(event, EpochEvent):
                tqdm.write(f"epoch {event.epoch}/{event.epochs}: test loss {event.test_loss:.4f}, "
                           f"test accuracy {event.test_accuracy:.2%} ({event.elapsed:.1f} s)")
            elif isinstance(event, FinishedEvent):
                final = event
    finally:
        if bar is not None:
            bar.close()
        if previous is not None:
            signal.signal(signal.SIGINT, previous)

    metadata = finish_run(model, recipe, final, data, device=str(device), data_dir=args.data_dir,
                          progress=say).metadata
    if "temperature" in metadata:
        print(f"calibrated on {metadata['calibrated_on']}: temperature {metadata['temperature']:.3f}, "
              f"expected calibration error {metadata['ece_before']:.2%} -> {metadata['ece_after']:.2%}")
    # The training is never thrown away: if --out cannot be written, for whatever reason, the model goes to
    # the project's cache, else the system's temporary folder (another disk, often), and the reason is said.
    rescue_name = default_name if out.is_dir() or not out.stem else f"{out.stem}.pt"
    saved, failures = save_with_rescue(out, recipe.model, model, metadata=metadata, rescue_name=rescue_name,
                                       rescue_folders=[cache_dir() / "rescued",
                                                       Path(tempfile.gettempdir()) / "mnist-demo-rescued"])
    if failures:
        print(f"error: {'; '.join(failures)}. The trained model was saved to {saved} instead.", file=sys.stderr)
        return 1
    summary = (f"{final.status}: {recipe.model} / {recipe.name}, {final.epochs_completed} epochs, "
               f"test accuracy {metadata['test_accuracy']:.2%}, {final.train_seconds:.1f} s training "
               f"({final.elapsed:.1f} s in all), saved to {out}")
    if final.status == "diverged":
        print(f"error: {final.message}; the model was saved anyway to {out}", file=sys.stderr)
        return 1
    print(summary)
    return 0


def _cmd_teach(args: argparse.Namespace) -> int:
    check_save_target(args.out)
    device = pick_device(args.device)
    ckpt = load_checkpoint(args.checkpoint or default_checkpoint_path())
    examples = as_digits(read_examples(args.examples))
    data = load_mnist(args.data_dir, progress=lambda msg: print(msg, file=sys.stderr))
    before = _measured(ckpt.model, data, "measuring it before teaching").accuracy
    bar, taught, final = None, None, None
    try:
        for event in teach(ckpt.model, ckpt.model_name, examples, data, base_metadata=ckpt.metadata, device=device,
                           seed=args.seed, data_dir=args.data_dir):
            if isinstance(event, StartEvent):
                print(f"Teaching {ckpt.model_name} {len(examples)} examples on {event.device}: "
                      f"{event.total_steps} steps")
                bar = tqdm(total=event.total_steps, unit="step", dynamic_ncols=True)
            elif isinstance(event, StepEvent):
                bar.set_postfix(loss=f"{event.loss:.4f}", refresh=False)
                bar.update(event.global_step - bar.n)
            elif isinstance(event, EvaluatingEvent):  # the test-set measurement after the steps: a bar of its own
                if bar is None or bar.unit != "digit":
                    if bar is not None:
                        bar.close()
                    bar = tqdm(total=event.total, unit="digit", desc="measuring what it learned", dynamic_ncols=True)
                bar.update(event.done - bar.n)
            elif isinstance(event, FinishedEvent):
                final = event
            elif isinstance(event, Taught):
                taught = event
    finally:
        if bar is not None:
            bar.close()
    if taught is None:
        print(f"error: {final.message if final else 'teaching ended unexpectedly'}; nothing was saved",
              file=sys.stderr)
        return 1
    saved, failures = save_with_rescue(args.out, ckpt.model_name, taught.model, metadata=taught.metadata,
                                       rescue_name=f"{ckpt.model_name}-taught.pt",
                                       rescue_folders=[cache_dir() / "rescued",
                                                       Path(tempfile.gettempdir()) / "mnist-demo-rescued"])
    n = len(examples)
    print(f"your examples read right: {taught.right_before} of {n} before, {taught.right_after} of {n} after")
    print(f"MNIST test accuracy: {before:.2%} before, {taught.test_accuracy:.2%} after")
    if failures:
        print(f"error: {'; '.join(failures)}. The taught model was saved to {saved} instead.", file=sys.stderr)
        return 1
    print(f"saved to {saved}")
    return 0


def _measured(model: nn.Module, data: MNISTData, description: str) -> Evaluation:
    """``model`` evaluated on the MNIST test set with a bar that moves after every batch."""
    with tqdm(total=len(data.test_labels), unit="digit", desc=description, dynamic_ncols=True) as bar:
        return run_to_end(evaluating(model, data.test_images, data.test_labels), lambda done: bar.update(done - bar.n))


def _cmd_eval(args: argparse.Namespace) -> int:
    device = pick_device(args.device)
    ckpt = load_checkpoint(args.checkpoint)
    data = load_mnist(args.data_dir, progress=lambda msg: print(msg, file=sys.stderr))
    model = ckpt.model.to(device)
    result = evaluate(model, data.test_images, data.test_labels, batch_size=args.batch_size)
    if args.json:
        print(json.dumps({"model": ckpt.model_name, "accuracy": result.accuracy, "test_loss": result.loss}))
        return 0
    correct = int(result.confusion.diagonal().sum())
    print(f"{args.checkpoint}: model {ckpt.model_name}")
    print(f"Test set: average loss {result.loss:.4f}, accuracy {correct}/{len(result.labels)} "
          f"({result.accuracy:.2%})")
    per_class = "  ".join(f"{d}: {r:.1%}" for d, r in enumerate(result.recall.tolist()))
    print(f"Per-class accuracy: {per_class}")
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    ckpt = load_checkpoint(args.checkpoint or default_checkpoint_path())
    failures = 0
    for path in args.images:
        try:
            prediction = predict_drawing(ckpt.model, load_image_file(path))
        except ImageInputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failures += 1
            continue
        if args.json:
            print(json.dumps({"image": path, "label": None if prediction is None else prediction.label,
                              "confidence": None if prediction is None else prediction.confidence,
                              "top3": None if prediction is None else prediction.top(3)}))
        elif prediction is None:
            print(f"{path}: blank (no digit found)")
        else:
            print(f"{path}: {prediction.label} ({prediction.confidence:.1%})")
    return 1 if failures else 0


COMMANDS = {"train": _cmd_train, "teach": _cmd_teach, "eval": _cmd_eval, "predict": _cmd_predict,
            "models": _cmd_models, "recipes": _cmd_recipes}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except USER_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
