"""Pulumi project and stacks: ``program.py`` builds each stack's target from ``service.yaml``."""
