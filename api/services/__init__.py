"""What the routes do, without HTTP: callable from the API, the CLI and the tests alike."""
