"""Small HTTP servers on loopback that speak providers' wire protocols, for provider tests."""
