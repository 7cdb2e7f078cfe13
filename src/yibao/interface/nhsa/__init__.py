"""The national interface: envelope, gateway signature, field coercion, one module per transaction group."""
