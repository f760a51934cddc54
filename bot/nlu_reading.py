"""How `qualibot nlu eval` reads a labelled reply: as the engine would, with the question asked."""

from bot.nlu_eval import EXPECTING, NOTHING, Reading, Reply, budget_label, text_label
from dialogs.extract import extract_all


def read(reply: Reply) -> Reading:
    """The extractors' labels for one reply, comparable with its gold labels."""
    found = extract_all(reply.text, now=reply.now, expecting=EXPECTING.get(reply.asked))
    authority = found.authority
    return Reading(
        labels={
            "budget": budget_label(found.budget.model_dump()) if found.budget else None,
            "authority": authority.role if authority else None,
            "authority.process": (authority.decision_process or NOTHING) if authority else None,
            "need": found.need.level if found.need else None,
            "timeline": found.timeline.bucket if found.timeline else None,
            "name": text_label(found.name.value) if found.name else None,
            "company": text_label(found.company.value) if found.company else None,
        },
        intents=frozenset(str(intent) for intent in found.intents),
    )
