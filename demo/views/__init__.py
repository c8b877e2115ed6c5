"""What the page shows: pictures, charts, bars, the lesson, every model's reading, the drawing pad and the
clickable heatmap. Imports ``demo.server`` and ``mnist_core``, never ``demo.tabs``."""
