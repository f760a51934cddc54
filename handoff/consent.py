"""The consent record (UU PDP): when a prospect consented, and to which text.

The conversation keeps the consent answer with its time and the prospect's own words; the
conversation stays on the flow version it started with, and every published version is kept,
so the exact text consented to is named by flow id, version and a hash of the prompt in the
prospect's language."""

import hashlib
from typing import Any

from dialogs import ConversationState, Flow


def consent_record(state: ConversationState, flow: Flow | None) -> dict[str, Any] | None:
    """What the lead consented to, or None when they were never asked."""
    given = state.slots.get("consent")
    if given is None:
        return None
    record: dict[str, Any] = {
        "given": given.value is True,
        "at": given.at.isoformat(),
        "words": given.raw,
        "flow": f"{state.flow_id} v{state.flow_version}",
        "language": state.language,
    }
    question = flow.question_for_slot("consent") if flow is not None else None
    same = flow is not None and (flow.id, flow.version) == (state.flow_id, state.flow_version)
    if question is not None and same:
        text = question.prompt.get(state.language) or next(iter(question.prompt.values()))
        record["text"] = text
        record["text_sha256"] = hashlib.sha256(text.encode()).hexdigest()
    return record
