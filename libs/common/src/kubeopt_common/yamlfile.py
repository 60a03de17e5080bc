"""YAML files validated into pydantic models, with errors that name file, line and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

M = TypeVar("M", bound=BaseModel)


class YamlFileError(ValueError):
    """One line: ``<file>:<line>: <field.path>: <reason>``."""


def _line_of(doc: Any, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the deepest node of ``loc`` that exists in the document."""
    node, line = doc, None
    for key in loc:
        if isinstance(node, CommentedMap) and key in node:
            line = node.lc.key(key)[0] + 1
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
            line = node.lc.item(key)[0] + 1
            node = node[key]
        else:
            break
    return line


def read_yaml(path: Path) -> Any:
    """The round-trip document of ``path`` (keeps line numbers)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise YamlFileError(f"{path}: cannot read: {err.strerror or err}") from err
    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as err:
        line = err.problem_mark.line + 1 if err.problem_mark else 0
        raise YamlFileError(f"{path}:{line}: <yaml>: {err.problem}") from err


def load_yaml_model(path: Path, model: type[M], *, context: dict[str, Any] | None = None) -> M:
    """Read ``path`` and validate it as ``model``; the first problem becomes a one-line error."""
    doc = read_yaml(path)
    try:
        return model.model_validate(doc if doc is not None else {}, context=context)
    except ValidationError as err:
        first = err.errors()[0]
        loc = tuple(first["loc"])
        field = ".".join(str(p) for p in loc) or "<root>"
        line = _line_of(doc, loc)
        more = f" (+{err.error_count() - 1} more)" if err.error_count() > 1 else ""
        raise YamlFileError(f"{path}:{line or 1}: {field}: {first['msg']}{more}") from err
