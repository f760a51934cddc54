"""YAML text -> FlowDocument; every error names the file, the line and the path in the flow."""

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dialogs.errors import FlowError, FlowErrors
from dialogs.flow.checks import check_document
from dialogs.flow.schema import FlowDocument

Path_ = tuple[str | int, ...]


def _line_map(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    """Record the 1-based line where each path of the document starts."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                lines[(*path, key.value)] = key.start_mark.line + 1
                _line_map(value, (*path, key.value), lines)
                lines[(*path, key.value)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, (*path, index), lines)


def line_of(lines: dict[Path_, int], path: Path_) -> int | None:
    """The line of the longest known prefix of `path` (a missing key points at its parent)."""
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def pointer(data: Any, path: Path_) -> str:
    """`questions[3](budget).options[1].points`: readable, with the question id an admin knows."""
    out = ""
    node = data
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                out += f"({node['id']})"
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out or "(document)"


def parse_flow(text: str, source: str = "<flow>") -> FlowDocument:
    """Parse and validate a flow; raise FlowErrors listing every problem with its line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        raise FlowErrors([FlowError(source, line, "(yaml)", str(e.problem or e))]) from e
    if not isinstance(data, dict) or root is None:
        raise FlowErrors([FlowError(source, 1, "(document)", "a flow is a YAML mapping")])
    lines: dict[Path_, int] = {}
    _line_map(root, (), lines)
    try:
        document = FlowDocument.model_validate(data)
    except ValidationError as e:
        errors = []
        for error in e.errors():
            path = tuple(p for p in error["loc"] if isinstance(p, str | int))
            # pydantic appends the failing union/function branch name; drop non-document parts
            path = tuple(p for p in path if not (isinstance(p, str) and p.startswith("function")))
            message = error["msg"].removeprefix("Value error, ")
            errors.append(FlowError(source, line_of(lines, path), pointer(data, path), message))
        raise FlowErrors(errors) from e
    problems = check_document(document)
    if problems:
        raise FlowErrors(
            [
                FlowError(source, line_of(lines, path), pointer(data, path), problem)
                for path, problem in problems
            ]
        )
    return document


def load_document(path: str | Path) -> FlowDocument:
    """Read a flow file; unreadable files are a FlowErrors too."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise FlowErrors([FlowError(str(file), None, "(file)", f"cannot read: {e}")]) from e
    return parse_flow(text, source=file.name)
