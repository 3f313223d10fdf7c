"""The web service, the catalogue and the storage: the only layer that knows HTTP and the database."""
