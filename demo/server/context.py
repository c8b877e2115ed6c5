"""What every tab needs to know about this app instance: its models, its data folder, its limits, its visitors."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from demo.server.cores import CoreShare
from demo.server.language import LanguageChoices
from demo.server.limits import env_int
from demo.server.models_state import ModelCatalog, ModelPickers, load_catalog
from demo.server.sessions import Sessions
from mnist_core.data import MNISTData, MNISTUnavailableError, load_mnist, locate_mnist
from mnist_core.paths import ASSETS_DIR
from mnist_core.recipes import Recipe
from mnist_core.runs import TrainingData, load_training_data

TRAIN_CONCURRENCY_ENV = "MNIST_TRAIN_CONCURRENCY"


def default_train_concurrency() -> int:
    """Simultaneous training runs: ``$MNIST_TRAIN_CONCURRENCY`` or 1 (two runs on a CPU only halve each other)."""
    return env_int(TRAIN_CONCURRENCY_ENV, 1)


@dataclass(frozen=True)
class AppContext:
    """Settings fixed when the app is built, and the app's shared records, for every tab and visitor.

    One per app (``build_demo`` makes it), so two apps in one process (the tests) share nothing.
    """

    catalog: ModelCatalog
    data_dir: str | None = None
    train_concurrency: int = 1
    cores: CoreShare = field(default_factory=CoreShare)  # lent to a lone training run, taken back by predictions
    sessions: Sessions = field(default_factory=Sessions)  # who is connected, running, and what they trained
    languages: LanguageChoices = field(default_factory=LanguageChoices)  # the language each page picked
    pickers: ModelPickers = field(init=False)  # every tab's model list, refreshed when a run ends

    def __post_init__(self) -> None:
        object.__setattr__(self, "pickers", ModelPickers(self.catalog))  # frozen: set once, here

    @classmethod
    def create(cls, data_dir: str | os.PathLike[str] | None = None, assets_dir: str | os.PathLike[str] | None = None,
               train_concurrency: int | None = None) -> AppContext:
        """The context of a new app: the checkpoints of ``assets_dir`` (default ``assets/``) and no visitors yet."""
        folder = Path(assets_dir) if assets_dir is not None else ASSETS_DIR
        return cls(catalog=load_catalog(str(folder.resolve())),
                   data_dir=None if data_dir is None else str(data_dir),
                   train_concurrency=train_concurrency or default_train_concurrency())

    def data_available(self) -> bool:
        """True if MNIST is on disk already (nothing would need downloading)."""
        try:
            locate_mnist(self.data_dir, download=False)
        except MNISTUnavailableError:
            return False
        return True

    def load_data(self, *, download: bool = True, progress=None) -> MNISTData:
        """MNIST (loaded once per process); raises ``MNISTUnavailableError`` with a message to show."""
        return load_mnist(self.data_dir, download=download, progress=progress)

    def load_training_data(self, recipe: Recipe, *, progress=None) -> TrainingData:
        """Everything ``recipe`` trains on: MNIST and any handwriting it mixes in (fetched if needed)."""
        return load_training_data(recipe, self.data_dir, progress=progress)
