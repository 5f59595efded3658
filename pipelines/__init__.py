"""Wiring: the Dagster code location (definitions, jobs, schedule, sensor, resources) and the commands."""
