"""Loopback test peers for the hub's outbound integrations (not shipped):
they speak the hub's side of a provider's protocol, check what a real
provider checks, and let tests make them refuse or stall on demand."""
