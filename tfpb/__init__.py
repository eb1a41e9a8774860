"""Landlords' TFPB conventions, yearly programmes by axis, their review by the partners
and the yearly review."""
