"""Safe YAML reading that remembers where every value was written.

Error messages must point at a line, so the loader keeps, beside the data, a
map from each dotted path (`rules.r.then[0].emit`) to the file and line that
wrote it. Duplicate keys, which PyYAML silently resolves to the last one, are
reported as problems.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.errors import Problem, describe


class ScenarioLoader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 booleans: only true/false.

    YAML 1.1 reads `on`, `off`, `yes` and `no` as booleans, which would turn a
    rule's `on:` key into True. Nothing else differs from `yaml.safe_load`.
    """


ScenarioLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
ScenarioLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def join_path(prefix: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else str(key)


@dataclass
class Located:
    """A YAML document with the file and line of every path in it."""

    data: Any
    lines: dict[str, tuple[str, int]] = field(default_factory=dict)

    def where(self, path: str, default_file: str) -> tuple[str, int | None]:
        """The nearest written ancestor of `path` (a missing key is reported
        at the mapping that should have held it)."""
        probe = path
        while True:
            if probe in self.lines:
                return self.lines[probe]
            if not probe:
                return default_file, None
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""


def _walk(
    node: yaml.Node,
    path: str,
    file: str,
    out: Located,
    problems: list[Problem],
    line: int | None = None,
) -> None:
    # A mapping's value is located at its key's line: for a block value
    # (`delay:` then indented lines) that is the line naming the path.
    out.lines[path] = (file, line if line is not None else node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                problems.append(
                    Problem(
                        file,
                        key_node.start_mark.line + 1,
                        join_path(path, key),
                        "each key once",
                        "a duplicate key",
                    )
                )
            seen.add(key)
            _walk(
                value_node, join_path(path, key), file, out, problems, key_node.start_mark.line + 1
            )
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, join_path(path, index), file, out, problems)


def read_yaml(path: Path, display: str) -> Located:
    """Read one YAML file that must hold a mapping; raise ScenarioError otherwise."""
    from sim.errors import ScenarioError

    if not path.exists():
        raise ScenarioError([Problem(display, None, "", "an existing file", "no such file")])
    if path.is_dir():
        raise ScenarioError([Problem(display, None, "", "a YAML file", "a directory")])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(
            [Problem(display, None, "", "a readable UTF-8 file", str(exc))]
        ) from exc
    loader = ScenarioLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError([Problem(display, line, "", "valid YAML", reason)]) from exc
    finally:
        loader.dispose()
    if data is None or node is None:
        raise ScenarioError([Problem(display, None, "", "a scenario mapping", "an empty file")])
    if not isinstance(data, dict):
        raise ScenarioError(
            [
                Problem(
                    display,
                    node.start_mark.line + 1,
                    "",
                    "a mapping of scenario keys",
                    describe(data),
                )
            ]
        )
    located = Located(data)
    problems: list[Problem] = []
    _walk(node, "", display, located, problems)
    if problems:
        raise ScenarioError(problems)
    return located
