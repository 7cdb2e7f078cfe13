"""HTTP wiring shared by the REST API and the console: dependencies, errors, the app factory."""
