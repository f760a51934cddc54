"""The `qualibot` command line: one sub-command per job, each returning an exit code."""

import argparse
import sys
from collections.abc import Callable, Sequence

Command = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """All sub-commands; each module that owns a job registers its own."""
    from bot import calibrate

    parser = argparse.ArgumentParser(
        prog="qualibot", description="Conversational lead qualification (BANT)."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    calibrate.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `qualibot` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    command: Command = args.func
    return command(args)


if __name__ == "__main__":
    sys.exit(main())
