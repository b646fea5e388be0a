"""The web dashboard: server-rendered pages (Jinja2 + HTMX) over the same services the API
uses, with charts and a world map drawn in the browser from assets served by carexport."""
