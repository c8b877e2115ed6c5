"""The Gradio app's user interface: one module per tab, all work done by ``mnist_core``."""
