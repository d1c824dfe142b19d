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
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..source import Span


class Mapping(dict):  # type: ignore[type-arg]
    """A YAML mapping with its node and, per key, the key and value nodes."""

    node: MappingNode
    keys_at: dict[Any, Node]
    values_at: dict[Any, Node]
    duplicates: list[tuple[Any, Node]]


class Sequence(list):  # type: ignore[type-arg]
    """A YAML sequence with its node and the node of each item."""

    node: SequenceNode
    items_at: list[Node]


class LocatedLoader(yaml.SafeLoader):
    """SafeLoader whose containers know their source positions."""


# YAML 1.2 core booleans only (see the module docstring).
LocatedLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
LocatedLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_mapping(loader: LocatedLoader, node: MappingNode) -> Any:
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
    data = Sequence()
    data.node = node
    data.items_at = list(node.value)
    yield data
    data.extend(loader.construct_object(child, deep=True) for child in node.value)


LocatedLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
LocatedLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def load(text: str) -> Any:
    """Parse one YAML document with positions; raises yaml.YAMLError."""
    return yaml.load(text, Loader=LocatedLoader)


def node_end(node: Node) -> Any:
    """Where a node's own text ends. A block collection's end mark is where the
    next token starts (after trailing comments), so use its last child instead."""
    if isinstance(node, ScalarNode) or node.flow_style:
        return node.end_mark
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


def item_span(sequence: Sequence, index: int) -> Span:
    if isinstance(sequence, Sequence) and 0 <= index < len(sequence.items_at):
        return node_span(sequence.items_at[index])
    return span_of(sequence)


def span_of(value: Any) -> Span:
    node = getattr(value, "node", None)
    if node is None:
        return Span(0, 0, 1, 1, 1, 1)
    return node_span(node)
