"""Readers: files and folders in, units of work out.

A *unit* is what is stored whole or not at all: one Bundle (or one standalone resource) from a
`.json`/`.json.gz` file, or one line of a Bulk Data `.ndjson`/`.ndjson.gz` file. NDJSON is
streamed line by line, so memory stays bounded however large the file is.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from .resource_types import LOAD_ORDER


@dataclass(slots=True)
class Entry:
    index: int | None  # entry index in a Bundle; None for a standalone resource
    full_url: str
    resource: Any
    raw: bytes | None = None


@dataclass(slots=True)
class BundleUnit:
    file: str
    bundle_type: str
    entries: list[Entry]


@dataclass(slots=True)
class NdjsonLine:
    file: str
    line: int
    raw: bytes


@dataclass(slots=True)
class ReadError:
    file: str
    message: str
    line: int | None = None


def _is_ndjson(p: Path) -> bool:
    return p.name.endswith(".ndjson") or p.name.endswith(".ndjson.gz")


def _is_json(p: Path) -> bool:
    return p.name.endswith(".json") or p.name.endswith(".json.gz")


def _ndjson_rank(p: Path) -> tuple[int, str]:
    rtype = p.name.split(".", 1)[0].split("-", 1)[0]
    return (LOAD_ORDER.get(rtype, len(LOAD_ORDER)), p.name)


def collect_files(paths: list[str]) -> tuple[list[Path], list[ReadError]]:
    """All importable files under `paths`: JSON first (by name), then NDJSON in load order."""
    json_files: list[Path] = []
    ndjson_files: list[Path] = []
    problems: list[ReadError] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            candidates = sorted(q for q in p.rglob("*") if q.is_file())
            for q in candidates:
                if _is_ndjson(q):
                    ndjson_files.append(q)
                elif _is_json(q):
                    json_files.append(q)
        elif p.is_file():
            if _is_ndjson(p):
                ndjson_files.append(p)
            elif _is_json(p):
                json_files.append(p)
            else:
                problems.append(
                    ReadError(str(p), "not a .json, .json.gz, .ndjson or .ndjson.gz file")
                )
        else:
            problems.append(ReadError(str(p), "no such file or directory"))
    return json_files + sorted(ndjson_files, key=_ndjson_rank), problems


def _open(p: Path) -> Any:
    return gzip.open(p, "rb") if p.name.endswith(".gz") else open(p, "rb")


def read_json_file(p: Path) -> BundleUnit | ReadError:
    try:
        with _open(p) as fh:
            data = fh.read()
    except (OSError, EOFError, zlib.error) as exc:
        return ReadError(str(p), f"cannot read file: {exc}")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return ReadError(str(p), f"malformed or truncated JSON: {exc}")
    if not isinstance(doc, dict):
        return ReadError(str(p), "the file must hold one JSON object (a Bundle or a resource)")
    if doc.get("resourceType") != "Bundle":
        return BundleUnit(str(p), "", [Entry(None, "", doc)])
    btype = str(doc.get("type") or "")
    entries_raw = doc.get("entry") or []
    if not isinstance(entries_raw, list):
        return ReadError(str(p), "Bundle.entry must be a list")
    entries = []
    for i, e in enumerate(entries_raw):
        if not isinstance(e, dict):
            entries.append(Entry(i, "", e))
            continue
        entries.append(Entry(i, str(e.get("fullUrl") or ""), e.get("resource"), None))
    return BundleUnit(str(p), btype, entries)


def read_ndjson(p: Path) -> Iterator[NdjsonLine | ReadError]:
    try:
        with _open(p) as fh:
            for n, line in enumerate(fh, start=1):
                if n == 1 and line.startswith(b"\xef\xbb\xbf"):
                    line = line[3:]
                if line.strip():
                    yield NdjsonLine(str(p), n, line)
    except (OSError, EOFError, zlib.error) as exc:
        yield ReadError(str(p), f"cannot read file (truncated or corrupt?): {exc}")


def ndjson_chunks(
    p: Path, size: int, on_error: Callable[[ReadError], None]
) -> Iterator[tuple[str, list[tuple[int, bytes]]]]:
    """The lines of one NDJSON file in chunks of ``size`` (line number, raw bytes), the unit
    both the importer and the NDJSON snapshot hand to ``mapping.map_ndjson_lines`` (in a worker
    or here). A read error is passed to ``on_error`` and ends the file; lines before it count."""
    batch: list[tuple[int, bytes]] = []
    for item in read_ndjson(p):
        if isinstance(item, ReadError):
            on_error(item)
            break
        batch.append((item.line, item.raw))
        if len(batch) >= size:
            yield str(p), batch
            batch = []
    if batch:
        yield str(p), batch
