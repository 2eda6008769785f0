"""What every mapper shares: the mapping context (references, warnings) and small readers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..values import MappingError, check_code


@dataclass(slots=True)
class Row:
    """One resource, mapped: the target model, its natural key, its fields and references.

    `refs` maps a foreign-key field name to a normalized reference key (`Patient/123` or
    `Organization?identifier=system|value`); the writer turns keys into row ids.
    """

    model: str
    source_id: str
    fields: dict[str, Any]
    refs: dict[str, str] = field(default_factory=dict)
    extra: list[Row] = field(default_factory=list)  # rows of contained resources it needs


class MapContext:
    """Per-resource context: reference normalization and the warnings list."""

    __slots__ = ("local", "warnings")

    def __init__(self, local: Callable[[str], str | None] | None = None) -> None:
        # `local` resolves a bundle's fullUrl (urn:uuid:...) to "Type/id"
        self.local = local
        self.warnings: list[tuple[str, str]] = []

    def warn(self, path: str, message: str) -> None:
        self.warnings.append((path, message))

    def ref(self, obj: Any, path: str, types: tuple[str, ...], required: bool = False) -> str:
        """Normalize a Reference to a key; "" when absent, contained or only a display."""
        if type(obj) is dict:
            # fast path, most references: a plain relative "Type/id"
            plain = obj.get("reference")
            if type(plain) is str and ":" not in plain and "?" not in plain and plain[:1] != "#":
                rtype, sep, rid = plain.partition("/")
                if sep and rid and "/" not in rid:
                    if types and rtype not in types:
                        raise MappingError(
                            path, f"reference {plain!r} must point to {' or '.join(types)}"
                        )
                    return plain
        if obj is None or (isinstance(obj, dict) and "reference" not in obj):
            if required:
                raise MappingError(path, "required reference is missing")
            if isinstance(obj, dict) and isinstance(obj.get("identifier"), dict):
                ident = obj["identifier"]
                if types and ident.get("system") and ident.get("value"):
                    return f"{types[0]}?identifier={ident['system']}|{ident['value']}"
            return ""
        if not isinstance(obj, dict) or not isinstance(obj.get("reference"), str):
            raise MappingError(path, "a Reference must be an object with a string 'reference'")
        value: str = obj["reference"]
        if value.startswith("#"):
            return ""
        if value.startswith("urn:uuid:") or value.startswith("urn:oid:"):
            target = self.local(value) if self.local else None
            if target is None:
                raise MappingError(
                    path, f"dangling reference {value!r}: no entry with that fullUrl"
                )
            value = target
        elif "://" in value.split("?", 1)[0]:
            parts = value.rstrip("/").split("/")
            if len(parts) >= 2 and parts[-2] == "_history":
                parts = parts[:-2]
            value = "/".join(parts[-2:])
        rtype = value.split("?", 1)[0].split("/", 1)[0]
        if types and rtype not in types:
            raise MappingError(path, f"reference {value!r} must point to {' or '.join(types)}")
        if "?" not in value and value.count("/") != 1:
            # strip a version: Patient/1/_history/2
            bits = value.split("/")
            if len(bits) >= 2:
                value = f"{bits[0]}/{bits[1]}"
        return value

    def coded(
        self, concept: Any, path: str, check: bool = True
    ) -> tuple[str, str, str, list[list[str]]]:
        """The first coding of a CodeableConcept (system, code, display) and all its codings."""
        if concept is None:
            return "", "", "", []
        if not isinstance(concept, dict):
            raise MappingError(path, "expected a CodeableConcept object")
        codings = concept.get("coding") or []
        if not isinstance(codings, list):
            raise MappingError(f"{path}.coding", "expected a list of Codings")
        all_codes: list[list[str]] = []
        for i, c in enumerate(codings):
            if type(c) is not dict:
                raise MappingError(f"{path}.coding[{i}]", "expected a Coding object")
            system = c.get("system") or ""
            code = c.get("code") or ""
            if type(code) is not str:
                raise MappingError(f"{path}.coding[{i}].code", "code must be a string")
            if check and code and (problem := check_code(system, code)):
                self.warn(f"{path}.coding[{i}]", problem)
            all_codes.append([system, code, c.get("display") or ""])
        if not all_codes:
            return "", "", (concept.get("text") or "")[:300], []
        s, c, d = all_codes[0]
        return s, c, (d or concept.get("text") or "")[:300], all_codes


def first_code(concept: Any) -> str:
    """The first coding's code of a CodeableConcept (for status-like elements)."""
    if isinstance(concept, dict):
        for c in concept.get("coding") or ():
            if isinstance(c, dict) and c.get("code"):
                return str(c["code"])
    return ""


def identifiers(resource: dict[str, Any]) -> list[list[str]]:
    out = []
    for ident in resource.get("identifier") or ():
        if isinstance(ident, dict) and ident.get("value"):
            type_code = first_code(ident.get("type"))
            out.append([ident.get("system") or "", str(ident["value"]), type_code])
    return out


def human_name(names: Any) -> tuple[str, str, str]:
    """(family, given, prefix) from the official (else first) HumanName."""
    if not names:
        return "", "", ""
    chosen = next(
        (n for n in names if isinstance(n, dict) and n.get("use") == "official"), names[0]
    )
    if not isinstance(chosen, dict):
        return "", "", ""
    given = " ".join(chosen.get("given") or ())
    prefix = " ".join(chosen.get("prefix") or ())
    family = chosen.get("family") or ""
    if not family and not given and chosen.get("text"):
        return str(chosen["text"])[:100], "", ""
    return str(family)[:100], given[:100], prefix[:20]


def address_line(addresses: Any) -> tuple[str, str, str, str]:
    if not addresses or not isinstance(addresses[0], dict):
        return "", "", "", ""
    a = addresses[0]
    return (
        ", ".join(a.get("line") or ())[:300],
        (a.get("city") or "")[:100],
        (a.get("state") or "")[:50],
        (a.get("postalCode") or "")[:20],
    )


def require(resource: dict[str, Any], key: str) -> Any:
    value = resource.get(key)
    if value is None or value == "" or value == []:
        raise MappingError(key, "required element is missing")
    return value
