"""Errors raised by the dialogs package."""


class DialogsError(Exception):
    """Base for dialog failures."""


class FlowError(DialogsError):
    """An admin-edited flow is invalid; says where, so the admin can fix it."""

    def __init__(self, source: str, line: int | None, pointer: str, problem: str) -> None:
        self.source, self.line, self.pointer, self.problem = source, line, pointer, problem
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {pointer}: {problem}")


class FlowErrors(DialogsError):
    """Every problem found in one flow, reported together."""

    def __init__(self, errors: list[FlowError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))
