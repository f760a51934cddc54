"""Dialogs: flows, reply understanding and the pure dialog engine. No I/O, no clock."""

from dialogs.engine import StepResult, apply_signal, new_state, step
from dialogs.errors import DialogsError, FlowError, FlowErrors
from dialogs.facts import attributes, qualification
from dialogs.flow.flow import BUNDLED_FLOW, Flow, flow_from_text, load_flow
from dialogs.messages import (
    Channel,
    Choice,
    DeliveryError,
    InboundMessage,
    OutboundMessage,
    Sender,
)
from dialogs.state import ConversationState, SlotChange, SlotValue

__all__ = [
    "BUNDLED_FLOW",
    "Channel",
    "Choice",
    "ConversationState",
    "DeliveryError",
    "DialogsError",
    "Flow",
    "FlowError",
    "FlowErrors",
    "InboundMessage",
    "OutboundMessage",
    "Sender",
    "SlotChange",
    "SlotValue",
    "StepResult",
    "apply_signal",
    "attributes",
    "flow_from_text",
    "load_flow",
    "new_state",
    "qualification",
    "step",
]
