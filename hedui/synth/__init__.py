"""The synthetic city generator (`hedui generate`): department extracts exactly as the extract spec
describes them, with every kind of real-world mess, and the ground truth a correct pipeline must reproduce."""

from hedui.synth.city import CityManifest, generate_city
from hedui.synth.presets import PRESETS, Preset

__all__ = ["CityManifest", "PRESETS", "Preset", "generate_city"]
