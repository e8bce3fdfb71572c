"""The pure core: no boto3, docker, subprocess, clock or environment in here.

Everything below takes plain data and returns plain data plus diagnostics, which is what
makes the conversion exhaustively testable and the same input always give the same bytes.
"""
