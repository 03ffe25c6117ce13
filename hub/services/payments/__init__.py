"""Payments: the provider seam (:mod:`.provider`), the WeChat/Alipay-like sandbox
(:mod:`.sandbox`), the order service with its sweep and reconciliation
(:mod:`.service`), the routes (:mod:`.api`) and the tables (:mod:`.models`).

Kept free of imports so that ``hub.services.models`` can register the payment
tables without pulling in the service layer.
"""
