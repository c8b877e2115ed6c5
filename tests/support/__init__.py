"""What the tests and the benchmarks (``bench/``) both use to act as the app's visitors.

- :mod:`tests.support.sketches`: digits and non-digits drawn as the page's canvas draws them;
- :mod:`tests.support.clients`: the app started as ``python app.py``, and called from new sessions;
- :mod:`tests.support.chromium`: headless chromium, a page opened ready to draw, a mouse stroke;
- :mod:`tests.support.visitors`: simulated pages speaking Gradio's protocol, and the app in a child process.

Here rather than in ``bench/`` so that a test never depends on a benchmark script; the benches
import from here. The tests' own fixtures are in ``tests/conftest.py``, their page checks in
``tests/pages.py``.
"""
