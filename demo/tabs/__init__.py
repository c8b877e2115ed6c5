"""One module per tab (and the panels they share): its Blocks layout and its event handlers. The top layer
below ``demo.ui``: imports ``demo.views``, ``demo.server`` and ``mnist_core``."""
