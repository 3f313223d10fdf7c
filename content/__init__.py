"""Guidance content: one YAML entry per reason, guide and playbook, plus the taxonomy."""
