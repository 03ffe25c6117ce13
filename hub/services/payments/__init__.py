"""Payments: the provider seam (:mod:`.provider`), the WeChat/Alipay-like sandbox
(:mod:`.sandbox`), the order service with its sweep and reconciliation
(:mod:`.service`), the routes (:mod:`.api`) and the tables (:mod:`.models`);
the real channels WeChat Pay (:mod:`.wechat`) and Alipay (:mod:`.alipay`) with
their merchant secrets (:mod:`.merchant`), signed notifications
(:mod:`.notify_api`), payment alerts (:mod:`.alerts`) and the daily 对账
(:mod:`.reconciler`).

Kept free of imports so that ``hub.services.models`` can register the payment
tables without pulling in the service layer.
"""
