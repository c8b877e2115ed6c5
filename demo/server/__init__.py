"""The bottom layer: what keeps the app serving a class (request guard, input checks, limits, temporary files,
the log, sessions, CPU cores, ZeroGPU, the queue). Imports only ``mnist_core`` and this folder."""
