"""What each role may do, and which action each route is: the one table access is decided by.

README.md (Access) shows the same table; tests/access/test_permissions.py checks they agree.
A route without a rule is refused (403) for everyone, and the isolation test fails on it, so
a new route cannot go out unguarded.
"""

from __future__ import annotations

import enum
from fnmatch import fnmatchcase


class Role(enum.StrEnum):
    admin = "admin"
    planner = "planner"
    operator = "operator"
    viewer = "viewer"


class Kind(enum.StrEnum):
    carmaker = "carmaker"
    logistics_partner = "logistics_partner"
    dealer = "dealer"


class Action(enum.StrEnum):
    public = "public"  # no credentials needed: /health, the login page
    read = "read"  # every GET of the organisation's own data and pages
    import_orders = "import_orders"
    plan = "plan"  # run and store plans, scenario runs
    learn_transit = "learn_transit"
    ingest_events = "ingest_events"
    audit = "audit"  # read the audit log
    share = "share"  # show chosen orders to a partner or dealer
    manage_users = "manage_users"  # users, tokens (CLI)


PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.viewer: frozenset({Action.read}),
    Role.operator: frozenset({Action.read, Action.ingest_events}),
    Role.planner: frozenset({Action.read, Action.import_orders, Action.plan, Action.learn_transit}),
    Role.admin: frozenset(Action),
}

# (method, route path pattern) -> action. Patterns use fnmatch's * over the route's path
# template as FastAPI declares it (e.g. /plans/{plan_id}); the first match wins.
ROUTE_RULES: list[tuple[str, str, Action]] = [
    ("GET", "/health", Action.public),
    ("GET", "/ui/login", Action.public),
    ("POST", "/ui/login", Action.public),
    ("POST", "/ui/logout", Action.read),  # anyone signed in may sign out
    ("GET", "/", Action.read),
    ("GET", "/ui/*", Action.read),
    ("POST", "/ui/orders/upload", Action.import_orders),
    ("POST", "/ui/orders/upload/*", Action.import_orders),
    ("POST", "/ui/plan/run", Action.plan),
    ("GET", "/orders", Action.read),
    ("GET", "/orders/*", Action.read),
    ("POST", "/orders", Action.import_orders),
    ("POST", "/orders/import", Action.import_orders),
    ("GET", "/plans/*", Action.read),
    ("POST", "/plans", Action.plan),
    ("GET", "/vehicles", Action.read),
    ("GET", "/vehicles/*", Action.read),
    ("GET", "/exceptions", Action.read),
    ("GET", "/transit", Action.read),
    ("POST", "/transit/learn", Action.learn_transit),
    ("POST", "/events", Action.ingest_events),
    ("GET", "/kpi/*", Action.read),
    # Compares uploaded official figures with the stored exports; stores nothing.
    ("POST", "/kpi/reconcile", Action.read),
    ("GET", "/scenarios", Action.read),
    ("GET", "/scenarios/*", Action.read),
    ("POST", "/scenarios", Action.plan),
    ("POST", "/scenarios/*", Action.plan),
    ("GET", "/audit", Action.audit),
    # The owner's side of sharing, and the partner's (whose own shared rows are checked
    # against access_share in api/shared.py: another organisation's id there is a 404).
    ("GET", "/shares", Action.read),
    ("POST", "/shares", Action.share),
    ("DELETE", "/shares", Action.share),
    ("GET", "/shared", Action.read),
    ("GET", "/shared/*", Action.read),
    ("POST", "/shared/*/events", Action.ingest_events),
]


def rule_for(method: str, path_template: str) -> Action | None:
    """The action a route is, or None when no rule covers it (refused)."""
    method = "GET" if method == "HEAD" else method
    for rule_method, pattern, action in ROUTE_RULES:
        if rule_method == method and fnmatchcase(path_template, pattern):
            return action
    return None


def allowed(role: Role, action: Action) -> bool:
    return action is Action.public or action in PERMISSIONS[role]
