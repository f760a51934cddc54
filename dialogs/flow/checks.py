"""Cross-field checks the schema alone cannot make: links, reachability, cycles without exit."""

from dialogs.flow.schema import FlowDocument, Question

END = "end"
Problem = tuple[tuple[str | int, ...], str]


def _targets(question: Question, order: list[str]) -> list[str]:
    """Where a question may lead: its branches, then `next` (or the following question)."""
    targets = [branch.goto for branch in question.branches]
    if question.next is not None:
        targets.append(question.next)
    else:
        index = order.index(question.id)
        targets.append(order[index + 1] if index + 1 < len(order) else END)
    return targets


def check_document(document: FlowDocument) -> list[Problem]:
    """Every problem found, each with its path in the document."""
    problems: list[Problem] = []
    order = [q.id for q in document.questions]
    known = set(order)
    seen: set[str] = set()
    for index, question in enumerate(document.questions):
        if question.id in seen:
            problems.append((("questions", index, "id"), f"duplicate question id {question.id!r}"))
        seen.add(question.id)
        if question.next is not None and question.next not in known | {END}:
            problems.append(
                (("questions", index, "next"), f"unknown question {question.next!r} (or 'end')")
            )
        for b, branch in enumerate(question.branches):
            if branch.goto not in known | {END}:
                problems.append(
                    (
                        ("questions", index, "branches", b, "goto"),
                        f"unknown question {branch.goto!r} (or 'end')",
                    )
                )
    if document.start not in known:
        problems.append((("start",), f"unknown question {document.start!r}"))
    if problems:
        return problems
    graph = {q.id: _targets(q, order) for q in document.questions}
    reachable = _reach(document.start, graph)
    for index, question in enumerate(document.questions):
        if question.id not in reachable:
            problems.append((("questions", index, "id"), "unreachable from `start`"))
    # Every reachable question must have a path to the end, or the flow can loop forever.
    reaches_end = {q for q in graph if END in _reach(q, graph)}
    for qid in sorted(reachable - reaches_end - {END}):
        index = order.index(qid)
        problems.append((("questions", index, "next"), "cycle with no way to the end"))
    return problems


def _reach(start: str, graph: dict[str, list[str]]) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for target in graph.get(todo.pop(), []):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen
