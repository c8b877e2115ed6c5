"""mnist_core: the engine of the MNIST teaching demo.

Data, models, recipes, the training loop, evaluation, checkpoints, drawing
preprocessing and a CLI. Imports no Gradio: the app in ``demo/`` and the CLI both
call these same functions.
"""

__version__ = "0.1.0"
