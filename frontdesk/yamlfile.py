"""Read maintainer-edited YAML keeping line numbers, so every error names file, line and field."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning) in a data file, located by file, line and field."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}"


class DataFileError(Exception):
    """A data file that cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class Node:
    """A YAML value with the line it starts on (1-based), for locating problems."""

    __slots__ = ("line", "value")

    def __init__(self, value: Any, line: int):
        self.value = value
        self.line = line

    def plain(self) -> Any:
        """Return the value with all line information stripped."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


def _convert(node: yaml.Node, loader: yaml.SafeLoader, file: str, problems: list[Problem]) -> Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            key = str(key)
            if key in out:
                problems.append(Problem(file, key_node.start_mark.line + 1, key, "key appears twice"))
            value = _convert(value_node, loader, file, problems)
            value.line = key_node.start_mark.line + 1  # report a field at its key's line
            out[key] = value
        return Node(out, line)
    if isinstance(node, yaml.SequenceNode):
        return Node([_convert(item, loader, file, problems) for item in node.value], line)
    return Node(loader.construct_object(node, deep=True), line)


def parse_yaml(text: str, file: str) -> Node:
    """Parse YAML text into line-annotated Nodes, raising DataFileError on bad syntax."""
    problems: list[Problem] = []
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise DataFileError([Problem(file, 1, "(file)", "the file is empty")])
        result = _convert(root, loader, file, problems)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        reason = exc.problem or exc.context or "invalid YAML"
        raise DataFileError([Problem(file, line, "(syntax)", f"YAML syntax error: {reason}")]) from None
    except yaml.YAMLError as exc:
        raise DataFileError([Problem(file, None, "(syntax)", f"YAML syntax error: {exc}")]) from None
    finally:
        loader.dispose()
    if problems:
        raise DataFileError(problems)
    return result


def read_yaml(path: str | Path) -> Node:
    """Read and parse a YAML file, raising DataFileError when it is missing or unreadable."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError([Problem(str(path), None, "(file)", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError([Problem(str(path), None, "(file)", f"cannot read file: {exc}")]) from None
    return parse_yaml(text, str(path))
