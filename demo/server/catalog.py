"""Keep the message catalogs in step with the code: every text marked for translation in ``demo/`` (``_``,
``n_``, ``N_``, ``T``) found, and each language's ``.po`` file given the new ones and told which are gone.

    python -m demo.server.catalog            # update demo/locales/*/LC_MESSAGES/messages.po, list what is missing
    python -m demo.server.catalog --check    # change nothing; exit 1 if a language lacks a message

A translator then fills each new ``msgstr`` (Poedit, or any text editor); ``tests/test_translations.py`` fails
until every message of every language is there with the same placeholders.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from demo.server.language import DEFAULT, DOMAIN, LANGUAGES, po_path

DEMO_DIR = Path(__file__).resolve().parents[1]
#: ``mnist_core`` marks the few texts the app shows from it (recipe notes) with its own ``N_``; nothing else there is
#: read: its CLI speaks English.
CORE_DIR = DEMO_DIR.parent / "mnist_core"
#: The marking functions and which of their arguments are messages (``n_``: singular and plural).
KEYWORDS = {"_": None, "N_": None, "T": None, "n_": (1, 2)}
#: ``{name}``, ``{count}``, ``{percent:>5}``: what ``str.format`` fills.
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)[^{}]*\}")


def extracted() -> Catalog:
    """Every marked message in ``demo/``, with where it is used (Python files; the code is the source)."""
    found = Catalog(locale=DEFAULT, domain=DOMAIN, project="mnist-live", charset="utf-8")
    for folder, keywords in ((DEMO_DIR, KEYWORDS), (CORE_DIR, {"N_": None})):
        for filename, lineno, message, comments, context in extract_from_dir(
                str(folder), method_map=[("**.py", "python")], keywords=keywords, comment_tags=("TRANSLATORS:",),
                strip_comment_tags=True):
            text = message[0] if isinstance(message, tuple) else message
            found.add(message, locations=[(f"{folder.name}/{filename}", lineno)], auto_comments=comments,
                      context=context, flags=("python-brace-format",) if PLACEHOLDER.search(text) else ())
    return found


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def read(language: str) -> Catalog:
    path = po_path(language)
    if not path.is_file():
        return Catalog(locale=language, domain=DOMAIN, project="mnist-live", charset="utf-8")
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def missing(catalog: Catalog, wanted: Iterable[object]) -> list[str]:
    """The messages of ``wanted`` that ``catalog`` lacks, leaves empty or marks fuzzy."""
    gaps = []
    for message in wanted:
        have = catalog.get(message.id, message.context)
        strings = have.string if have is not None and isinstance(have.string, tuple) else (
            (have.string,) if have is not None else ("",))
        if have is None or have.fuzzy or not all(strings):
            gaps.append(message.id[0] if isinstance(message.id, tuple) else message.id)
    return gaps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.server.catalog", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a message is missing")
    args = parser.parse_args(argv)
    template = extracted()
    wanted = [m for m in template if m.id]
    status = 0
    for language in LANGUAGES:
        if language == DEFAULT:
            continue
        catalog = read(language)
        if not args.check:
            created = catalog.creation_date  # kept: a run that adds nothing leaves the file as it was
            catalog.update(template, no_fuzzy_matching=True)
            catalog.creation_date = created
            catalog.obsolete.clear()  # a message gone from the code is gone from the catalog
            po_path(language).parent.mkdir(parents=True, exist_ok=True)
            with po_path(language).open("wb") as handle:
                write_po(handle, catalog, width=120, sort_output=False, include_previous=False)
        gaps = missing(catalog, wanted)
        print(f"{language}: {len(wanted) - len(gaps)} of {len(wanted)} messages translated")
        status |= bool(gaps)
    return status if args.check else 0


if __name__ == "__main__":
    sys.exit(main())
