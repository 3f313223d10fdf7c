"""`whydenied scan` and `POST /v1/scan`: whole logs in, denials grouped with the fix for each group.

files / stdin / an upload ─► readers (gzip, JSON, JSON lines, CSV, text; streamed, bounded)
    ─► records (CloudTrail, GCP audit, ...: successes skipped without classifying)
    ─► groups (one diagnosis per distinct denial, cached; grouped by who, what, where, why)
    ─► report (counts, first and last seen, the fix rendered for the group's facts; redacted)
"""
