"""Huimin's benchmarks: ``make bench`` (``python -m bench``) runs them all and
compares each figure with its target (see README "Benchmarks").

Kept empty on purpose: the cold-start probe runs inside this package and
must not pay for imports the terminal itself would not make.
"""
