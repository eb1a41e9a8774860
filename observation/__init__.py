"""Figures of service quality, monthly snapshots, dashboards, exports and the annual review."""
