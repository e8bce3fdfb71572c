"""Test support: the local stack (dockerd, registry, moto on loopback) and the loopback guard.

Nothing here imports the product package; the product's tests and the demo import this.
"""
