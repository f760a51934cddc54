"""Intents handled wherever the prospect is in the flow: stop, restart, language switch."""

from typing import Final

from dialogs.extract import Extraction
from dialogs.messages import InboundMessage
from dialogs.slots import Intent
from dialogs.state import Language

CONTACT_SLOTS: Final = frozenset({"phone", "email", "contact_method"})


def wants_stop(inbound: InboundMessage, heard: Extraction) -> bool:
    return inbound.command == "stop" or Intent.STOP in heard.intents


def wants_restart(inbound: InboundMessage, heard: Extraction) -> bool:
    return inbound.command == "restart" or Intent.RESTART in heard.intents


def language_switch(heard: Extraction) -> Language | None:
    if Intent.LANGUAGE_EN in heard.intents:
        return "en"
    if Intent.LANGUAGE_ID in heard.intents:
        return "id"
    return None
