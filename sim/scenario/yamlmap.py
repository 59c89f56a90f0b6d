"""Safe YAML reading that remembers where every value was written.

Error messages must point at a line, so the loader keeps, beside the data, a
map from each dotted path (`rules.r.then[0].emit`) to the file and line that
wrote it. Duplicate keys, which PyYAML silently resolves to the last one, are
reported as problems.

A file is data from someone else, so reading it is bounded (issue 7): the
file itself through `files.read_user_file`; the document to `MAX_NODES`
values counted with every alias expanded (a "billion laughs" alias bomb is a
few lines that expand to 10^9 values) and to `MAX_DEPTH` levels of nesting
(deeper nesting would exhaust Python's recursion); numbers to
`MAX_DIGITS` digits. A calendar-impossible date (2024-02-30) stays text, so
the schema reports it at its path like any other wrong value. A file that is
not the kind expected at all (`/etc/passwd`, a CSV, an image) is described,
never quoted.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.errors import Problem, ScenarioError
from sim.scenario.files import CitedAt, file_problem, read_user_file

MAX_NODES = 100_000
"""Most values in one document, aliases expanded (the largest scenario has ~1,500)."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists (a scenario needs about 8)."""
MAX_DIGITS = 100
"""Longest number literal (a float holds about 17 significant digits)."""


class LimitError(yaml.MarkedYAMLError):
    """A document past one of the reader's limits."""


class ScenarioLoader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 booleans and bounded documents.

    YAML 1.1 reads `on`, `off`, `yes` and `no` as booleans, which would turn a
    rule's `on:` key into True; only true/false are booleans here. Composing
    counts values (aliases expanded) and nesting, and stops with a located
    error past `MAX_NODES` or `MAX_DEPTH`, before anything is built.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        """Build one node, counting aliases by the size of what they expand to and
        refusing more than MAX_DEPTH levels or MAX_NODES values (alias bombs)."""
        if self.check_event(yaml.AliasEvent):
            # types-PyYAML leaves Parser.peek_event unannotated; it returns a yaml.Event.
            event = self.peek_event()  # type: ignore[no-untyped-call,unused-ignore]
            node = super().compose_node(parent, index)
            size = self._sizes.get(id(node))
            if size is None:
                raise LimitError(
                    None, None, "a recursive alias (a value containing itself)", event.start_mark
                )
            self._count(size, event.start_mark)
            return node
        event = self.peek_event()  # type: ignore[no-untyped-call,unused-ignore]
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise LimitError(
                None, None, f"nesting deeper than {MAX_DEPTH} levels", event.start_mark
            )
        before = self._nodes
        self._count(1, event.start_mark)
        node = super().compose_node(parent, index)
        self._depth -= 1
        self._sizes[id(node)] = self._nodes - before
        return node

    def _count(self, size: int, mark: yaml.Mark) -> None:
        self._nodes += size
        if self._nodes > MAX_NODES:
            raise LimitError(
                None,
                None,
                f"more than {MAX_NODES:,} values with aliases expanded (an alias bomb?)",
                mark,
            )

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
        """Integers, refused past MAX_DIGITS digits before conversion: no scenario
        value needs more, and a huge literal is a typo or an attack."""
        _bounded_number(node)
        return super().construct_yaml_int(node)

    def construct_yaml_float(self, node: yaml.ScalarNode) -> Any:
        """Floats, refused past MAX_DIGITS digits like integers."""
        _bounded_number(node)
        return super().construct_yaml_float(node)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        """Dates; an impossible date (2024-02-30) stays text so the schema can report
        `expected a calendar date` at its line instead of a YAML traceback."""
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return str(node.value)  # 2024-02-30: the schema says "not a calendar date"


def _bounded_number(node: yaml.ScalarNode) -> None:
    if len(node.value) > MAX_DIGITS:
        raise LimitError(
            None, None, f"a number with more than {MAX_DIGITS} digits", node.start_mark
        )


ScenarioLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
ScenarioLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
ScenarioLoader.add_constructor("tag:yaml.org,2002:int", ScenarioLoader.construct_yaml_int)
ScenarioLoader.add_constructor("tag:yaml.org,2002:float", ScenarioLoader.construct_yaml_float)
ScenarioLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", ScenarioLoader.construct_yaml_timestamp
)


def join_path(prefix: str, key: str | int) -> str:
    """The dotted path of `key` below `prefix`."""
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else str(key)


@dataclass
class Located:
    """A YAML document with the file and line of every path in it, and the
    problems found while reading it that do not stop validation (duplicate keys)."""

    data: Any
    lines: dict[str, tuple[str, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

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

    def problem(self, path: str, display: str, expected: str, found: str) -> Problem:
        """A problem located at `path` in this document."""
        file, line = self.where(path, display)
        return Problem(file, line, path, expected, found)


def _walk(
    node: yaml.Node,
    path: str,
    file: str,
    out: Located,
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
                out.problems.append(
                    Problem(
                        file,
                        key_node.start_mark.line + 1,
                        join_path(path, key),
                        "each key once",
                        "a duplicate key",
                    )
                )
            seen.add(key)
            _walk(value_node, join_path(path, key), file, out, key_node.start_mark.line + 1)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, join_path(path, index), file, out)


def read_yaml(
    path: Path,
    display: str,
    kind: str = "scenario",
    keys: Collection[str] = (),
    cited: CitedAt | None = None,
) -> Located:
    """Read one YAML file that must hold a mapping of `kind`'s keys.

    Args:
        path: the file.
        display: its name in messages.
        kind: "scenario", "evidence", "sweep"...
        keys: the kind's top-level keys; a file using none of them is foreign
            and is described, not quoted ("expected a scenario file, found a
            YAML mapping without scenario keys"). Empty: no such check.
        cited: where the file was named (`extends:` in another file), if so.

    Raises:
        ScenarioError: the file cannot be read, is not YAML, is not a mapping
            or is foreign.
    """
    text = read_user_file(path, kind, cited=cited)
    loader = ScenarioLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        # PyYAML's reason names the construct, not the text: safe for any file.
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or "a YAML syntax error"
        expected = (
            f"a document within the reader's limits ({MAX_NODES:,} values, "
            f"{MAX_DEPTH} levels, {MAX_DIGITS}-digit numbers)"
            if isinstance(exc, LimitError)
            else "valid YAML"
        )
        raise ScenarioError([Problem(display, line, "", expected, reason)]) from None
    finally:
        loader.dispose()
    if data is None or node is None:
        raise file_problem(path, kind, "an empty file", cited, f"a {kind} mapping")
    if isinstance(data, list):
        line = node.start_mark.line + 1
        found = f"a list of {len(data)} item(s)"
        if cited is None:
            raise ScenarioError([Problem(display, line, "", f"a mapping of {kind} keys", found)])
        raise file_problem(path, kind, found, cited, f"a mapping of {kind} keys")
    if not isinstance(data, dict):
        raise file_problem(path, kind, "a text file without a YAML mapping", cited)
    if keys and not any(isinstance(key, str) and key in keys for key in data):
        raise file_problem(path, kind, f"a YAML mapping without {kind} keys", cited)
    located = Located(data)
    _walk(node, "", display, located)
    return located
