"""The web page: server-rendered (Jinja2, autoescaped), a little plain JS and CSS from the app itself."""
