"""`qualibot telegram set-webhook|delete-webhook|webhook-info`: the bot's registration with
Telegram, done once per deployment (not at every start: several workers would race)."""

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.channels.telegram import TelegramSender
    from bot.config import TelegramConfig

Job = Callable[["TelegramSender", "TelegramConfig"], Awaitable[None]]


def _config() -> "TelegramConfig":
    from pydantic import ValidationError

    from bot.config import Settings

    try:
        settings = Settings()
    except ValidationError as e:
        for error in e.errors():
            where = "__".join(str(p) for p in error["loc"]).upper()
            print(f"config: QUALIBOT_{where}: {error['msg']}", file=sys.stderr)
        raise SystemExit(2) from e
    if settings.telegram is None:
        print(
            "telegram is not configured: set QUALIBOT_TELEGRAM__TOKEN (from @BotFather)",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return settings.telegram


def _run(job: Job, config: "TelegramConfig") -> int:
    """Open a session and a sender (getMe checks the token), run `job`, close both."""
    import aiohttp

    from bot.channels.telegram import TelegramSender
    from bot.errors import ChannelError

    async def run() -> int:
        timeout = aiohttp.ClientTimeout(total=30, connect=10)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            sender = TelegramSender.create(
                config.token.get_secret_value(), session, api_url=config.api_url
            )
            try:
                await sender.start()
                await job(sender, config)
            except ChannelError as e:
                print(f"telegram refused: {e}", file=sys.stderr)
                return 1
            except ValueError as e:  # checked before any call, e.g. the secret's shape
                print(str(e), file=sys.stderr)
                return 2
            finally:
                await sender.close()
        return 0

    return asyncio.run(run())


def _set_webhook(args: argparse.Namespace) -> int:
    from bot.channels.telegram_web import ALLOWED_UPDATES, WEBHOOK_PATH, set_webhook

    url: str = args.url
    if not url.startswith("https://"):
        print("telegram only posts to https:// URLs (ports 443, 80, 88, 8443)", file=sys.stderr)
        return 2
    if not url.rstrip("/").endswith(WEBHOOK_PATH):
        print(f"note: qualibot listens on {WEBHOOK_PATH}; is {url} forwarded there?")

    config = _config()
    if config.webhook_secret is None:
        print(
            "set QUALIBOT_TELEGRAM__WEBHOOK_SECRET first (1-256 characters of A-Z a-z 0-9 _ -):"
            " Telegram sends it with every update and qualibot refuses updates without it",
            file=sys.stderr,
        )
        return 2
    secret = config.webhook_secret.get_secret_value()

    async def job(sender: "TelegramSender", _: "TelegramConfig") -> None:
        await set_webhook(sender.bot, url, secret, drop_pending_updates=args.drop_pending)
        print(f"@{sender.bot.username}: webhook set to {url} ({', '.join(ALLOWED_UPDATES)})")

    return _run(job, config)


def _delete_webhook(args: argparse.Namespace) -> int:
    async def job(sender: "TelegramSender", _: "TelegramConfig") -> None:
        from telegram.error import TelegramError

        from bot.channels.telegram import channel_error

        try:
            await sender.bot.delete_webhook(drop_pending_updates=args.drop_pending)
        except TelegramError as e:
            raise channel_error(e) from e
        print(f"@{sender.bot.username}: webhook removed; polling mode can fetch updates now")

    return _run(job, _config())


def _webhook_info(_: argparse.Namespace) -> int:
    async def job(sender: "TelegramSender", __: "TelegramConfig") -> None:
        from telegram.error import TelegramError

        from bot.channels.telegram import channel_error

        try:
            info = await sender.bot.get_webhook_info()
        except TelegramError as e:
            raise channel_error(e) from e
        print(f"url: {info.url or '(none: polling)'}")
        print(f"pending updates: {info.pending_update_count}")
        if info.last_error_message:
            print(f"last error: {info.last_error_message} ({info.last_error_date})")

    return _run(job, _config())


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add `qualibot telegram ...` to the command line."""
    telegram = commands.add_parser("telegram", help="register the Telegram bot's webhook")
    sub = telegram.add_subparsers(dest="telegram_command", required=True, metavar="COMMAND")
    set_hook = sub.add_parser(
        "set-webhook", help="have Telegram post updates to URL, with the secret token"
    )
    set_hook.add_argument("url", help="e.g. https://your.host/webhooks/telegram")
    set_hook.add_argument(
        "--drop-pending", action="store_true", help="discard updates Telegram is holding"
    )
    set_hook.set_defaults(func=_set_webhook)
    delete = sub.add_parser("delete-webhook", help="stop webhook delivery (for polling mode)")
    delete.add_argument(
        "--drop-pending", action="store_true", help="discard updates Telegram is holding"
    )
    delete.set_defaults(func=_delete_webhook)
    info = sub.add_parser("webhook-info", help="where Telegram posts, and its last error")
    info.set_defaults(func=_webhook_info)
