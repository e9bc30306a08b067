"""The `dateline` command: a thin shell that turns errors into one-line messages.

Each subcommand lives in its own module with a `register(subparsers)` function.
Front ends outside the engine (the web server) add theirs through the
`dateline.commands` entry point group, so the engine never imports them.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

from search.settings import SettingsError

BUILTIN_COMMANDS = (
    "search.commands.inspect",
    "search.commands.reindex",
    "search.commands.search",
    "search.commands.cluster",
)


class CommandError(Exception):
    """A failure the user can act on: printed as one line, exit status 1."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dateline",
        description="Dateline: search engine for news archives.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in BUILTIN_COMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue  # a command not written yet
        module.register(subparsers)
    for entry in entry_points(group="dateline.commands"):
        entry.load()(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (CommandError, SettingsError) as error:
        print(f"dateline {args.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"dateline {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `dateline inspect ... | head`: the reader left; not an error.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    # `python -m search.cli`: run the imported module's main, so that the CommandError the
    # commands raise (search.cli.CommandError) is the one caught here, not __main__'s copy.
    from search.cli import main as package_main

    sys.exit(package_main())
