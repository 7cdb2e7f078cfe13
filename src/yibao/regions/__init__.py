"""Pooling regions (统筹区): one deployment serves several."""
