"""Sphinx 7.4 writes some inline scripts twice (sphinx-doc/sphinx#13402, fixed in 8.2).

sphinx-thebe's inline script declares a `const`, so the duplicate throws on every page. This keeps the
first copy of each script.
"""


def _dedupe(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for script in context.get("script_files", []):
        key = (script.filename or "", tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"][:] = unique


def setup(app):
    app.connect("html-page-context", _dedupe)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
