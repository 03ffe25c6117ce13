"""Simulators that stand in for hardware at the hardware's own boundary.

Each speaks the device's real protocol (SAM frames on a pty, APDUs, ESC/POS
over TCP, scanner lines on a pty), so the real drivers run unchanged against
them in the demo and in tests.
"""
