"""The generic HTTP adapter: status codes, WWW-Authenticate challenges, common API bodies, CORS."""
