"""Opt-in live checks: confirm an offline diagnosis with the user's own credentials.

Nothing here runs unless asked (`whydenied explain --live`); nothing here is imported by the
diagnose path. Each check is read-only, bounded by a timeout, and reports its own outcome; a
failed check never changes the offline diagnosis beyond its confidence.
"""
