"""Sub-sector procedures: experimental procedures on complex perimeters (models, actions, routing, figures).

One package inside `procedures/` rather than a new app: a sector procedure decides how intervention
requests are routed and which procedure version and service levels they get, so it lives beside them and
shares their migrations; a package (not one long module) keeps each noun in its own file.
"""
