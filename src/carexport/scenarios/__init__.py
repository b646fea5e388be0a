"""Disruption scenarios: specs, perturbations of a frozen network and order book, re-planned
runs on a local process pool or a Ray cluster, and their comparison."""
