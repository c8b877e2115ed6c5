"""Where a training step's time goes, in the reference loop and in mnist_core's, by torch.profiler.

    python -m bench.profile_steps            # seed000 and seed004: 3 rounds of 150 profiled steps per loop
    python -m bench.profile_steps --quick    # 1 round of 20 steps (CI smoke)

This backs the explanation of the two seed-recipe rows of ``bench.speed``: what share of the
reference loop is data handling (which mnist_core removes) and what share is the model's own
forward, backward and optimiser work (which any loop running the same fp32 model must do).
Every top-level operation the profiler records on the training thread is put in one phase:

- data: the reference's ``DataLoader`` step (per-item ``ToTensor`` + ``Normalize``, collate), or
  mnist_core's gather and normalise of a batch already in memory;
- forward (with the loss), backward (the autograd engine), optimiser (``zero_grad`` and ``step``);
- other: bookkeeping such as reading the loss.

The profiler adds a little time per operation, so absolute step times here run slightly above
``bench.speed``'s; the shares are what this script is for. Each loop is profiled in three
rounds and the round with the median step time is reported. The ``ceiling`` column is the speed-up
a loop would get by making data handling free while keeping the reference's fp32 arithmetic:
reference step / (reference step - its data time).
"""

from __future__ import annotations

import dataclasses
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

from torch.profiler import ProfilerActivity, profile

from bench.common import Row, bench_parser, report
from bench.reference_loop import reference_loaders, reference_step
from mnist_core.data import MNISTData, load_mnist, locate_mnist
from mnist_core.recipes import get_recipe, make_optimizer
from mnist_core.train import StepEvent, init_model, train

PHASES = ("data", "forward", "backward", "optimiser", "other")
#: Top-level operations of mnist_core's batch preparation (gather by index, uint8 -> normalised float).
OUR_DATA_OPS = {"aten::randperm", "aten::index", "aten::slice", "aten::to", "aten::_to_copy", "aten::sub",
                "aten::div", "aten::contiguous", "aten::clone", "aten::unsqueeze", "aten::view"}


def phase_of(name: str) -> str:
    """The phase a top-level profiler event belongs to, by its name."""
    if name.startswith("enumerate(DataLoader)") or name in OUR_DATA_OPS:
        return "data"
    if name.startswith("autograd::engine"):
        return "backward"
    if name.startswith("Optimizer."):
        return "optimiser"
    if name.startswith("aten::item") or name.startswith("aten::_local_scalar_dense") or name in {
            "aten::add_", "aten::detach", "aten::zero_", "aten::zeros", "aten::empty", "aten::copy_"}:
        return "other"
    return "forward"


@dataclasses.dataclass
class StepProfile:
    loop: str
    steps: int
    ms_per_step: dict[str, float]  # by phase
    top_ops: list[tuple[str, float]]  # (operation, share of all self CPU time)

    @property
    def total_ms(self) -> float:
        return sum(self.ms_per_step.values())


def profiled(loop: str, run_steps: Callable[[], int]) -> StepProfile:
    """Profile ``run_steps`` (which returns how many training steps it ran) and sum its top-level events by phase."""
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        steps = run_steps()
    by_phase: dict[str, float] = defaultdict(float)
    for event in prof.events():
        if event.cpu_parent is None:  # top-level on its thread: its time includes everything under it
            by_phase[phase_of(event.name)] += event.cpu_time_total / 1e3  # microseconds -> ms
    self_times = [(e.key, e.self_cpu_time_total) for e in prof.key_averages()]
    total_self = sum(t for _, t in self_times) or 1.0
    top = sorted(self_times, key=lambda kv: -kv[1])[:6]
    return StepProfile(loop, steps, {p: by_phase.get(p, 0.0) / steps for p in PHASES},
                       [(name, t / total_self) for name, t in top])


def median_profile(profiles: list[StepProfile]) -> StepProfile:
    """The round with the median total time (single rounds are noisy on a shared machine)."""
    return sorted(profiles, key=lambda p: p.total_ms)[len(profiles) // 2]


def reference_steps(root: Path, recipe_name: str, steps: int, warmup: int, rounds: int) -> StepProfile:
    """The pytorch/examples loop (bench.reference_loop's pipeline): ``rounds`` of ``steps`` steps after ``warmup``."""
    recipe = get_recipe(recipe_name)
    loader, _ = reference_loaders(root, recipe.batch_size, recipe.test_batch_size)
    model = init_model(recipe.model, recipe.seed)
    optimizer = make_optimizer(recipe, model)
    model.train()
    batches: Iterator = iter(loader)

    def run(n: int) -> int:
        for _ in range(n):
            reference_step(model, *next(batches), optimizer)  # the DataLoader's step is profiled as its own range
        return n

    run(warmup)
    return median_profile([profiled("reference (DataLoader)", lambda: run(steps)) for _ in range(rounds)])


def our_steps(data: MNISTData, recipe_name: str, steps: int, warmup: int, rounds: int) -> StepProfile:
    """mnist_core.train with the recipe as it ships, on just enough images for the warm-up and the rounds."""
    recipe = get_recipe(recipe_name, epochs=1)
    n = (warmup + steps * rounds) * recipe.batch_size
    small = dataclasses.replace(data, train_images=data.train_images[:n], train_labels=data.train_labels[:n],
                                test_images=data.test_images[:recipe.test_batch_size],
                                test_labels=data.test_labels[:recipe.test_batch_size])
    events = train(init_model(recipe.model, recipe.seed), small, recipe, device="cpu")
    for event in events:  # warm-up steps, outside the profile
        if isinstance(event, StepEvent) and event.global_step >= warmup:
            break

    def run(first: int) -> int:
        done = 0
        for event in events:
            if isinstance(event, StepEvent):
                done = event.global_step - first
                if done >= steps:
                    break
        return max(done, 1)

    result = median_profile([profiled("mnist_core", lambda i=i: run(warmup + i * steps)) for i in range(rounds)])
    events.close()
    return result


def rows_for(recipe_name: str, reference: StepProfile, ours: StepProfile) -> list[Row]:
    ceiling = reference.total_ms / max(reference.total_ms - reference.ms_per_step["data"], 1e-9)
    rows = []
    for p in (reference, ours):
        phases = ", ".join(f"{k} {v:.2f}" for k, v in p.ms_per_step.items() if v >= 0.005)
        top = ", ".join(f"{name} {share:.0%}" for name, share in p.top_ops[:4])
        rows.append(Row(f"`{recipe_name}`, {p.loop}: ms per step by phase", f"{p.total_ms:.2f} ms ({phases})",
                        "", None, note=f"largest operations by own CPU time: {top}",
                        numbers={"steps": p.steps, "ms_per_step": p.ms_per_step, "top_ops": p.top_ops}))
    model_ms = reference.total_ms - reference.ms_per_step["data"]
    rows.append(Row(f"`{recipe_name}`: share of the reference step that is data handling",
                    f"{reference.ms_per_step['data'] / reference.total_ms:.0%}; the model's own work is "
                    f"{model_ms:.2f} ms per step, so free data handling with the same fp32 arithmetic "
                    f"gives at most {ceiling:.2f}x", "", None,
                    numbers={"data_share": reference.ms_per_step["data"] / reference.total_ms,
                             "ceiling_ratio": ceiling, "ours_vs_reference": reference.total_ms / ours.total_ms}))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__, "profile_steps", "one round of 20 profiled steps per loop", data_dir=True)
    parser.add_argument("--steps", type=int, help="profiled steps per round (default 150; quick: 20)")
    args = parser.parse_args(argv)
    steps = args.steps or (20 if args.quick else 150)
    warmup, rounds = (5, 1) if args.quick else (20, 3)
    root = locate_mnist(args.data_dir)
    data = load_mnist(args.data_dir)
    rows: list[Row] = []
    for recipe_name in ("seed000", "seed004"):
        reference = reference_steps(root, recipe_name, steps, warmup, rounds)
        ours = our_steps(data, recipe_name, steps, warmup, rounds)
        rows += rows_for(recipe_name, reference, ours)
    report("Where a training step's time goes" + (" (quick smoke run)" if args.quick else ""), rows, args.out,
           "python -m bench.profile_steps" + (" --quick" if args.quick else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
