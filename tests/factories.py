"""Plain builders for test values (no fixture chains)."""

from datetime import datetime, timedelta
from itertools import count

from dialogs import Channel, ConversationState, Flow, InboundMessage, StepResult, new_state, step

_ids = count(1)


def make_inbound(
    text: str = "",
    *,
    at: datetime,
    choice: str | None = None,
    user: str = "u1",
    channel: Channel = Channel.WEB,
    language_hint: str | None = None,
    unsupported: str | None = None,
    profile_name: str | None = None,
    command: str | None = None,
) -> InboundMessage:
    return InboundMessage(
        channel=channel,
        channel_user_id=user,
        message_id=f"m{next(_ids)}",
        sent_at=at,
        text=text,
        choice_id=choice,
        language_hint=language_hint,
        unsupported=unsupported,
        profile_name=profile_name,
        command=command,
    )


class Conversation:
    """Drives the pure engine turn by turn, a minute apart, like a prospect would."""

    def __init__(
        self, flow: Flow, start: datetime, *, channel: Channel = Channel.WEB, **first: str
    ) -> None:
        self.flow = flow
        self.channel = channel
        self.now = start
        self.state: ConversationState = new_state(flow)
        self.first = first
        self.results: list[StepResult] = []

    def say(self, text: str = "", *, choice: str | None = None, **extra: str) -> StepResult:
        self.now += timedelta(minutes=1)
        fields = {**self.first, **extra} if not self.results else extra
        result = step(
            self.state,
            self.flow,
            make_inbound(
                text,
                at=self.now,
                choice=choice,
                channel=self.channel,
                language_hint=fields.get("language_hint"),
                unsupported=fields.get("unsupported"),
                profile_name=fields.get("profile_name"),
                command=fields.get("command"),
            ),
            self.now,
        )
        self.state = result.state
        self.results.append(result)
        return result

    @property
    def all_texts(self) -> list[str]:
        """Every text the bot sent in this conversation."""
        return [reply.text for result in self.results for reply in result.replies]

    @property
    def texts(self) -> list[str]:
        return [reply.text for reply in self.results[-1].replies]

    @property
    def choices(self) -> list[str]:
        return [c.id for reply in self.results[-1].replies for c in reply.choices]

    def slot(self, name: str) -> object:
        found = self.state.slots.get(name)
        return None if found is None else found.value
