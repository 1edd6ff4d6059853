"""YAML that refuses a key given twice in one mapping.

PyYAML keeps the last of two equal keys without a word. In the policy file a county's standard written twice, or
in a rule's header a parameter declared twice, would then take whichever came last, silently: the file says two
things and hedui would act on one. Both files are edited by hand at the center, so a repeated key is refused,
naming the key and its line.
"""

from __future__ import annotations

import yaml

_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A mapping names the same key twice."""


class _StrictLoader(_BASE):  # type: ignore[misc, valid-type]
    line_offset = 0  # lines of the file before the text parsed (a rule's header starts on its second line)


def _mapping_without_repeats(loader: "_StrictLoader", node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *defaults`: a key given here overrides a merged one
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            repeated = key in seen
        except TypeError:  # a list or a mapping as a key: what PyYAML itself says of it
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark, "found unhashable key", key_node.start_mark) from None
        if repeated:
            first, again = seen[key] + 1 + loader.line_offset, key_node.start_mark.line + 1 + loader.line_offset
            raise DuplicateKeyError("while reading a mapping", node.start_mark,
                                    f"the key {key!r} is given twice (lines {first} and {again})",
                                    key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_repeats)


def load(text: str, *, line_offset: int = 0):
    """Parse `text` as YAML (safe types only); a key repeated in one mapping raises DuplicateKeyError, naming the
    lines of the file `text` starts `line_offset` lines into."""
    loader = _StrictLoader(text)
    loader.line_offset = line_offset
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
