"""Chronic-condition value sets (data files, loaded by careloop.analytics.chronic_conditions)."""
