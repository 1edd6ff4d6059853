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
    pass


def _mapping_without_repeats(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *defaults`: a key given here overrides a merged one
            continue
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise DuplicateKeyError(
                "while reading a mapping", node.start_mark,
                f"the key {key!r} is given twice (lines {seen[key] + 1} and {key_node.start_mark.line + 1})",
                key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_repeats)


def load(text: str):
    """Parse `text` as YAML (safe types only); a key repeated in one mapping raises DuplicateKeyError."""
    return yaml.load(text, Loader=_StrictLoader)
