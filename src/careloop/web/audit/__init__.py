"""The audit screens (viewer, CSV export, accounting of disclosures).

They live in the web layer, not in `careloop.audit`, because they read patients and apply
`accounts.policies`; the audit app itself stays below accounts and clinical (which write
audit events through it).
"""
