"""Meetings, workshops and their questionnaires, committees, actions and their follow-up,
recommendations, the DVQ's guide."""
