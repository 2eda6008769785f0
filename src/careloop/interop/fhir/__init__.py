"""FHIR R4 import: readers (Bundle, NDJSON), one mapper per resource type, references, runs."""
