"""Observation grids (versioned), walking diagnostics, their findings, sync and conversion."""
