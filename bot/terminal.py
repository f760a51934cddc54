"""`qualibot chat`: talk to the engine in a terminal and see slots, score and stage each turn."""

import itertools
from collections.abc import Callable
from datetime import UTC, datetime

from dialogs import (
    Channel,
    ConversationState,
    Flow,
    InboundMessage,
    OutboundMessage,
    StepResult,
    new_state,
    step,
)

Prompt = Callable[[str], str]
Print = Callable[[str], None]


def render(reply: OutboundMessage) -> str:
    """A reply as the terminal shows it: text, then numbered buttons."""
    lines = [f"bot> {reply.text}"]
    lines.extend(f"     [{n}] {choice.label}" for n, choice in enumerate(reply.choices, 1))
    return "\n".join(lines)


def panel(result: StepResult) -> str:
    """What the bot knows after a turn: slots, score with reasons, stage."""
    state = result.state
    lines = ["  ┌ slots:"]
    for name, slot in state.slots.items():
        shown = "unknown" if slot.status == "unknown" else slot.value
        lines.append(f"  │   {name}: {shown}")
    band = result.score.band.value
    lines.append(f"  │ score: {result.score.value} ({band}), stage: {state.stage.value}")
    lines.extend(f"  │   {reason}" for reason in result.score.explain()[:8])
    if result.stage_change is not None:
        lines.append(f"  │ stage changed -> {result.stage_change.value}")
    lines.append("  └")
    return "\n".join(lines)


def chat(
    flow: Flow,
    *,
    language: str | None = None,
    read: Prompt = input,
    write: Print = print,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    """Run a conversation until end of input; numbers pick the buttons last shown."""
    state: ConversationState = new_state(flow)
    buttons: dict[str, str] = {}
    write("qualibot chat: type your answers; Ctrl-D to quit. Say 'halo' or 'hi' to begin.")
    for n in itertools.count(1):
        try:
            text = read("you> ")
        except EOFError:
            write("")
            return 0
        choice = buttons.get(text.strip())
        inbound = InboundMessage(
            channel=Channel.TERMINAL,
            channel_user_id="terminal",
            message_id=str(n),
            sent_at=clock(),
            text="" if choice else text,
            choice_id=choice,
            language_hint=language if n == 1 else None,
        )
        result = step(state, flow, inbound, clock())
        state = result.state
        buttons = {}
        for reply in result.replies:
            write(render(reply))
            buttons = {str(i): c.id for i, c in enumerate(reply.choices, 1)} or buttons
        write(panel(result))
    return 0
