"""Tests of the local stack itself (dockerd, registry, moto on loopback) and of the guard."""
