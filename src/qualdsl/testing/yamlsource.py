"""Safe YAML with locations: every mapping remembers where its keys and values are.

PyYAML's safe loader forgets positions once it builds plain dicts, and a
failing expectation must point at its own line. `LocatedLoader` is a
SafeLoader (no object construction, no tags beyond the safe set) whose
mappings and sequences are dict/list subclasses carrying their nodes.

Booleans follow YAML 1.2 (`true`/`false` only) so a country code `NO` or a
source `on` stays a string: the YAML 1.1 "Norway problem" would otherwise turn
lead data into booleans without a word.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import yaml
from yaml.nodes import CollectionNode, MappingNode, Node, SequenceNode

from ..source import Span


class Mapping(dict[Any, Any]):
    """A YAML mapping with its node and, per key, the key and value nodes."""

    node: MappingNode
    keys_at: dict[Any, Node]
    values_at: dict[Any, Node]
    duplicates: list[tuple[Any, Node]]


class Sequence(list[Any]):
    """A YAML sequence with its node and the node of each item."""

    node: SequenceNode
    items_at: list[Node]


# Bounds on the shape of a suite (see `load`): far beyond any real suite, far
# below what would exhaust the stack or memory.
MAX_DEPTH = 100  # nested collections
MAX_ALIAS_NODES = 100_000  # nodes that aliases add, counted as if expanded


class LocatedLoader(yaml.SafeLoader):
    """SafeLoader whose containers know their source positions, and which
    refuses documents nested too deeply or whose aliases expand too far."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.depth = 0
        self.aliases: list[tuple[Node, Any]] = []  # (the anchored node, where the alias is)

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # types-PyYAML leaves it unannotated
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)
            if node is not None:  # always: an unknown alias raises
                self.aliases.append((node, event.start_mark))
            return node
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def check_aliases(self) -> None:
        """Refuse a document whose aliases would expand beyond MAX_ALIAS_NODES
        nodes (an "alias bomb": 450 bytes that expand to gigabytes) or refer to
        themselves. Sizes are counted once per node, so this is linear."""
        sizes: dict[int, int] = {}
        open_: set[int] = set()

        def size(node: Node, mark: Any) -> int:
            key = id(node)
            if key in sizes:
                return sizes[key]
            if key in open_:
                raise yaml.composer.ComposerError(None, None, "an alias refers to a collection that holds it", mark)
            open_.add(key)
            total = 1
            if isinstance(node, SequenceNode):
                total += sum(size(child, mark) for child in node.value)
            elif isinstance(node, MappingNode):
                total += sum(size(k, mark) + size(v, mark) for k, v in node.value)
            open_.discard(key)
            sizes[key] = min(total, MAX_ALIAS_NODES + 1)  # capped: the sum cannot grow without bound
            return sizes[key]

        added = 0
        for node, mark in self.aliases:
            added += size(node, mark)
            if added > MAX_ALIAS_NODES:
                raise yaml.composer.ComposerError(
                    None, None, f"aliases expand to more than {MAX_ALIAS_NODES} values (an alias bomb?)", mark)


# YAML 1.2 core booleans only (see the module docstring).
LocatedLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
LocatedLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _expect(node: Node, kind: type[Node], what: str) -> None:
    # An explicit tag (`!!seq "text"`, `!!map [1]`) can put any node here.
    if not isinstance(node, kind):
        found = type(node).__name__.removesuffix("Node").lower()
        raise yaml.constructor.ConstructorError(None, None, f"expected {what}, but found {found}", node.start_mark)


def _construct_mapping(loader: LocatedLoader, node: MappingNode) -> Any:
    _expect(node, MappingNode, "a mapping")
    data = Mapping()
    data.node = node
    data.keys_at = {}
    data.values_at = {}
    data.duplicates = []
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark, "found an unhashable key", key_node.start_mark
            ) from None
        if key in data:
            # PyYAML keeps the last duplicate silently; a suite must not.
            data.duplicates.append((key, key_node))
        data[key] = loader.construct_object(value_node, deep=True)
        data.keys_at[key] = key_node
        data.values_at[key] = value_node


def _construct_sequence(loader: LocatedLoader, node: SequenceNode) -> Any:
    _expect(node, SequenceNode, "a sequence")
    data = Sequence()
    data.node = node
    data.items_at = list(node.value)
    yield data
    data.extend(loader.construct_object(child, deep=True) for child in node.value)


LocatedLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
LocatedLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def load(text: str) -> Any:
    """Parse one YAML document with positions; raises yaml.YAMLError (with a
    mark) for bad YAML, too deep a document, an alias bomb, or a value that
    cannot be built (a 5,000-digit integer, a timestamp out of range)."""
    loader = LocatedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        loader.check_aliases()
        return loader.construct_document(node)
    finally:
        loader.dispose()


_INT = "tag:yaml.org,2002:int"

# What each value tag is called in a message; any other tag is "the value".
_TAG_WORDS = {
    "tag:yaml.org,2002:int": "integer",
    "tag:yaml.org,2002:float": "number",
    "tag:yaml.org,2002:timestamp": "timestamp",
    "tag:yaml.org,2002:bool": "boolean",
}


def _guarded(tag: str | None) -> None:
    """Make the constructor of `tag` turn any failure into a located YAML
    error. PyYAML's constructors trust their text once resolved, but an
    explicit tag (`!!timestamp 99999-01-01`, `!!bool maybe`, `!!int ""`)
    hands them anything: they raise ValueError, OverflowError, but also
    AttributeError, KeyError or IndexError."""
    build = LocatedLoader.yaml_constructors[tag]
    what = _TAG_WORDS.get(tag or "", "value")

    def construct(loader: LocatedLoader, node: Node) -> Any:
        try:
            if tag == _INT and isinstance(node.value, str) and len(node.value) > sys.get_int_max_str_digits():
                # Checked on the text (never shorter than the digits): PyYAML
                # builds a sexagesimal `1:59:59:...` in quadratic time (600 KB
                # took 35 s) before Python's limit applies.
                raise ValueError("Exceeds the limit")
            return build(loader, node)
        except yaml.YAMLError:
            raise
        except Exception as error:  # noqa: BLE001  # the input is bad, whatever the constructor's exception
            reason = str(error)
            if "Exceeds the limit" in reason:
                reason = f"it has more than {sys.get_int_max_str_digits()} digits"
            elif isinstance(error, (ValueError, OverflowError)):
                reason = reason.split(";")[0].split(":")[0] or "out of range"
            else:
                reason = f"it is not a valid {what}"
            raise yaml.constructor.ConstructorError(
                None, None, f"the {what} `{str(node.value)[:40]}` cannot be read: {reason}", node.start_mark) from None

    LocatedLoader.add_constructor(tag, construct)


for _tag in list(LocatedLoader.yaml_constructors):
    if _tag not in ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"):  # ours, generators (see above)
        _guarded(_tag)


def node_end(node: Node) -> Any:
    """Where a node's own text ends. A block collection's end mark is where the
    next token starts (after trailing comments), so use its last child instead."""
    if isinstance(node, CollectionNode) and not node.flow_style:
        if isinstance(node, MappingNode) and node.value:
            return node_end(node.value[-1][1])
        if isinstance(node, SequenceNode) and node.value:
            return node_end(node.value[-1])
    return node.end_mark


def node_span(node: Node) -> Span:
    """The node's region as a Span (1-based lines and columns)."""
    start, end = node.start_mark, node_end(node)
    return Span(start.index, end.index, start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def key_span(mapping: Mapping, key: Any) -> Span:
    """The span of a key in a mapping (the mapping's own span when unknown)."""
    node = mapping.keys_at.get(key) if isinstance(mapping, Mapping) else None
    return node_span(node) if node is not None else span_of(mapping)


def value_span(mapping: Mapping, key: Any) -> Span:
    node = mapping.values_at.get(key) if isinstance(mapping, Mapping) else None
    return node_span(node) if node is not None else key_span(mapping, key)


def item_span(sequence: object, index: int) -> Span:
    if isinstance(sequence, Sequence) and 0 <= index < len(sequence.items_at):
        return node_span(sequence.items_at[index])
    return span_of(sequence)


def span_of(value: Any) -> Span:
    node = getattr(value, "node", None)
    if node is None:
        return Span(0, 0, 1, 1, 1, 1)
    return node_span(node)
