"""The export network and its markets: nodes, lanes, schedules, rules, vehicles, targets."""
