"""Hardware drivers: each device has a small interface, a real implementation
and a simulator in ``drivers.sim`` that speaks the same protocol.

Drivers never draw and never import pygame's display; they report through
return values, exceptions from :mod:`drivers.errors` and health callbacks.
"""
