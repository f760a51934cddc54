"""How a conversation ends, decided in one place from its outcome.

Only a conversation with a handoff is told that someone will contact them, and then who and
when (working hours, WIB). A lead that is not sales-ready yet gets a demo offer and where to
read more; one with no fit gets thanks. `PROMISE_KEYS` are the only texts that may promise
contact: a test reads every text of every shipped flow against it.
"""

from datetime import datetime
from typing import Final, Literal

from dialogs.flow.flow import Flow
from dialogs.hours import when_text
from dialogs.messages import Choice, OutboundMessage
from dialogs.state import ConversationState

Outcome = Literal["sql", "mql", "not_qualified", "opted_out", "handed_off"]
# texts that say a person will get in touch: sent only when a handoff exists
PROMISE_KEYS: Final = frozenset({"closing_handoff", "completed_handed_off", "assigned"})
DEMO_CHOICE: Final = "demo"
HUMAN_CHOICE: Final = "human"


def outcome_of(state: ConversationState) -> Outcome:
    """What the conversation concluded: the call an SDR would make reading it."""
    if state.status == "opted_out":
        return "opted_out"
    if state.handoff in ("human", "demo"):
        return "handed_off"
    if state.handoff == "sql" or state.stage.value == "sql":
        return "sql"
    if state.status == "closed":
        return "not_qualified"
    return "mql"


def _name(state: ConversationState) -> str:
    found = state.slots.get("name")
    name = str(found.value) if found is not None and found.value else ""
    return f", {name}" if name else ""


def contact_promise(flow: Flow, state: ConversationState, now: datetime) -> OutboundMessage:
    """Who will contact them and when: the SLA counted in working hours."""
    due = flow.hours.contact_by(now, flow.sla)
    when = when_text(now, due, state.language)
    return OutboundMessage(
        flow.text("closing_handoff", state.language, name=_name(state), when=when)
    )


def closing(flow: Flow, state: ConversationState, now: datetime) -> OutboundMessage:
    """The last message of a conversation that reached its end without a handoff."""
    language = state.language
    if state.handoff is not None:
        return contact_promise(flow, state, now)
    url = flow.document.resources_url
    more = flow.text("resources", language, url=url) if url else ""
    if state.status == "closed":
        return OutboundMessage(
            flow.text("closing_not_qualified", language, name=_name(state), resources=more)
        )
    return OutboundMessage(
        flow.text("closing_mql", language, name=_name(state), resources=more),
        (Choice(DEMO_CHOICE, flow.text("demo_button", language)),),
    )


def again(flow: Flow, state: ConversationState, now: datetime) -> OutboundMessage:
    """A message after the end: what still holds, by outcome."""
    language = state.language
    if state.handoff is not None:
        due = flow.hours.contact_by(now, flow.sla)
        return OutboundMessage(
            flow.text("completed_handed_off", language, when=when_text(now, due, language))
        )
    if state.status == "closed":
        return OutboundMessage(flow.text("closed_again", language))
    return OutboundMessage(
        flow.text("completed_again", language),
        (Choice(DEMO_CHOICE, flow.text("demo_button", language)),),
    )
