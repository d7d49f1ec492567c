"""Benchmarks of issue 7: what a fake costs against a bare Flask route.

Run them with ``make bench`` (or ``python -m benchmarks``); see ``python -m
benchmarks --help`` for a quick run, one figure, another server, or a profile.
"""
