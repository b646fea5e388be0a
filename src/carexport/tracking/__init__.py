"""VIN tracking: expected milestones from plans, milestone events, current status per VIN."""
