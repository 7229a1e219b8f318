"""The command line: `python bot.py COMMAND`; each command lives in its own module."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from frontdesk.cli import ask, console, desk, evaluate, faqcheck, purge, report, run
from frontdesk.privacy import install_masking

COMMANDS = (console, desk, ask, evaluate, faqcheck, report, purge, run)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="python bot.py",
        description="frontdesk: a chat-bot front desk for public hotlines. "
        "With no command it runs on Telegram when TELEGRAM_BOT_TOKEN is set, else the console.",
    )
    parser.add_argument("--settings", help="settings file (default: settings.yaml next to bot.py)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=os.environ.get("FRONTDESK_LOG_LEVEL", "WARNING"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "jieba"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    install_masking()  # phone and ID-card numbers never reach a log line, whatever the command
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        default = "run" if os.environ.get("TELEGRAM_BOT_TOKEN") else "console"
        args = parser.parse_args([*argv, default])
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into a program that stopped reading (e.g. `| head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
