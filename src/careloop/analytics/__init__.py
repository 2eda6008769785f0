"""careloop analytics: pure SQL marts on DuckDB (default) or Spark. No Django imports here."""
