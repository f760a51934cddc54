"""The funnel of a flow per version, counted in SQL: conversations, their leads' stages, and
per question how many conversations were asked it, answered it, and stopped at it.

`asked` and the answers live in the conversation state (JSON text): the `asked` map
(question id -> times asked) and the slots, each with the question that filled it. The
JSON is read by the database (SQLite's json_each, PostgreSQL's json_each), so no state is
loaded into memory to count.
"""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BindParameter, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dashboard import NO_SOURCE, Filters, lead_conditions
from storage.models import UtcDateTime, conversations, leads

_QUESTIONS_SQLITE = """
SELECT c.flow_version AS version, a.key AS question, count(*) AS asked,
  sum(CASE WHEN EXISTS (
    SELECT 1 FROM json_each(c.state, '$.slots') s
    WHERE json_extract(s.value, '$.question_id') = a.key
      AND json_extract(s.value, '$.status') = 'filled'
  ) THEN 1 ELSE 0 END) AS answered,
  sum(CASE WHEN c.current_question = a.key AND c.status = 'active' THEN 1 ELSE 0 END)
    AS dropped
FROM conversations c JOIN leads l ON l.id = c.lead_id
  JOIN json_each(c.state, '$.asked') a
WHERE c.flow_id = :flow_id {leads}
GROUP BY c.flow_version, a.key
"""

_QUESTIONS_POSTGRESQL = """
SELECT c.flow_version AS version, a.key AS question, count(*) AS asked,
  sum(CASE WHEN EXISTS (
    SELECT 1 FROM json_each(c.state::json -> 'slots') s
    WHERE s.value ->> 'question_id' = a.key AND s.value ->> 'status' = 'filled'
  ) THEN 1 ELSE 0 END) AS answered,
  sum(CASE WHEN c.current_question = a.key AND c.status = 'active' THEN 1 ELSE 0 END)
    AS dropped
FROM conversations c JOIN leads l ON l.id = c.lead_id
  CROSS JOIN LATERAL json_each_text(c.state::json -> 'asked') a
WHERE c.flow_id = :flow_id {leads}
GROUP BY c.flow_version, a.key
"""


def _lead_filter(filters: Filters) -> tuple[str, dict[str, Any], list[BindParameter[Any]]]:
    """The SQL conditions on the lead (`l`) for `filters`: fixed fragments, values bound."""
    sql = ""
    values: dict[str, Any] = {}
    binds: list[BindParameter[Any]] = []
    if filters.since is not None:
        sql += " AND l.created_at >= :since"
        values["since"] = filters.since
        binds.append(bindparam("since", type_=UtcDateTime))
    if filters.until is not None:
        sql += " AND l.created_at < :until"
        values["until"] = filters.until
        binds.append(bindparam("until", type_=UtcDateTime))
    if filters.source == NO_SOURCE:
        sql += " AND l.source IS NULL"
    elif filters.source:
        sql += " AND l.source = :source"
        values["source"] = filters.source
    return sql, values, binds


@dataclass(frozen=True, slots=True)
class QuestionCounts:
    """Conversations asked a question, that answered it, and that stand at it unanswered."""

    id: str
    asked: int
    answered: int
    dropped: int


@dataclass(slots=True)
class VersionFunnel:
    """One flow version: its conversations, their leads by stage, and its questions."""

    version: int
    conversations: int = 0
    stages: dict[str, int] = field(default_factory=dict)
    questions: list[QuestionCounts] = field(default_factory=list)


async def flow_funnel(
    conn: AsyncConnection,
    flow_id: str,
    question_order: dict[int, list[str]] | None = None,
    filters: Filters | None = None,
) -> list[VersionFunnel]:
    """Per version of `flow_id` that has conversations, newest first, counting only the
    conversations of leads `filters` chooses. Questions come in the order given per version
    (the flow's own order), unknown ones after."""
    filters = filters or Filters()
    by_version: dict[int, VersionFunnel] = {}
    stage_query = (
        select(conversations.c.flow_version, leads.c.stage, func.count())
        .select_from(conversations.join(leads, leads.c.id == conversations.c.lead_id))
        .where(conversations.c.flow_id == flow_id, *lead_conditions(filters))
        .group_by(conversations.c.flow_version, leads.c.stage)
    )
    for version, stage, count in await conn.execute(stage_query):
        funnel = by_version.setdefault(int(version), VersionFunnel(int(version)))
        funnel.stages[str(stage)] = int(count)
        funnel.conversations += int(count)
    sql = _QUESTIONS_POSTGRESQL if conn.dialect.name == "postgresql" else _QUESTIONS_SQLITE
    conditions, values, binds = _lead_filter(filters)
    query = text(sql.format(leads=conditions)).bindparams(*binds)
    rows = await conn.execute(query, {"flow_id": flow_id, **values})
    for version, question, asked, answered, dropped in rows:
        funnel = by_version.setdefault(int(version), VersionFunnel(int(version)))
        funnel.questions.append(
            QuestionCounts(str(question), int(asked), int(answered or 0), int(dropped or 0))
        )
    order = question_order or {}
    for funnel in by_version.values():
        known = order.get(funnel.version, [])
        funnel.questions.sort(
            key=lambda q: (known.index(q.id) if q.id in known else len(known), q.id)
        )
    return [by_version[v] for v in sorted(by_version, reverse=True)]
