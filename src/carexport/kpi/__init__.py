"""Export KPIs: finished-vehicle logistics KPIs from tracking events (more to come)."""
