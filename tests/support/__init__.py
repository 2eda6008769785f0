"""Plain helpers for tests (importable by name, unlike the several `conftest` modules)."""
