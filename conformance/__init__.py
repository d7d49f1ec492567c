"""Differential conformance: real Cinder 29.0.0 and fake-cinder, answer by answer.

``python -m conformance`` (``make conformance``) starts both servers on 127.0.0.1,
replays the scenario catalogue and a seeded random walk on each, compares every answer
after normalising, and writes docs/conformance.md. Not part of the package.
"""
