"""The shipment planner: a pure optimisation core (no database, web or CLI imports).

check -> expand -> build -> solve -> extract, each a small step; `plan(problem)` runs them.
"""
