"""Pure business logic: no database, no HTTP, no clock, no environment."""
