"""Test peers of the payment channels: loopback HTTP servers that speak WeChat Pay
API v3 (:mod:`tools.paypeers.wechat`) as its published documentation describes,
with keys of their own, for the tests and the benchmarks. Never shipped on a
kiosk; the hub does not import them.
"""
