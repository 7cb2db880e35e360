"""Dutch labels and questions for the fields of a trajectory (bot/templates/fields.yaml)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.yamlfile import read_yaml

PATH = Path(__file__).resolve().parents[2] / "templates" / "fields.yaml"


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    question: str = ""
    values: dict[str, str] = field(default_factory=dict)

    def value_label(self, value: object) -> str:
        """The Dutch label of a stored value; dates as 12-3-2026; '–' for nothing."""
        if value is None or value == "":
            return "–"
        if hasattr(value, "strftime"):
            return f"{value.day}-{value.month}-{value.year}"  # type: ignore[attr-defined]
        return self.values.get(str(value), str(value))


@functools.cache
def fields() -> dict[str, Field]:
    raw = read_yaml(PATH)
    return {
        name: Field(name, spec["label"], spec.get("question", ""), dict(spec.get("values", {})))
        for name, spec in raw.items()
    }


def label(name: str, value: object) -> str:
    return fields()[name].value_label(value)
