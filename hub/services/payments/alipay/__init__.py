"""Alipay 当面付: the channel (:mod:`.channel`) over the signed transport
(:mod:`.client`), built from the ``[hub.alipay]`` settings by :func:`load_channel`."""

from __future__ import annotations

from hub.merchant_settings import AlipayMerchant
from hub.services.payments.alipay.channel import AlipayChannel
from hub.services.payments.alipay.client import AlipayClient
from hub.services.payments.merchant import MerchantSecretError, read_public, read_secret

__all__ = ["AlipayChannel", "AlipayClient", "load_channel", "merchant_problems"]


def load_channel(merchant: AlipayMerchant, key: str = "hub.alipay") -> AlipayChannel:
    """The channel for ``merchant``; :class:`MerchantSecretError` lists every file
    that is missing, too open or malformed (by key path, never by content)."""
    problems: list[str] = []
    private = read_secret(merchant.app_private_key_file, f"{key}.app_private_key_file", problems)
    public = read_public(merchant.alipay_public_key_file, f"{key}.alipay_public_key_file", problems)
    if problems:
        raise MerchantSecretError(problems)
    assert private is not None and public is not None
    try:
        client = AlipayClient(
            app_id=merchant.app_id,
            app_private_key_pem=private.decode("ascii", "replace"),
            alipay_public_key_pem=public.decode("ascii", "replace"),
            gateway=merchant.gateway,
            notify_url=merchant.notify_url,
            timeout_s=merchant.timeout_s,
        )
    except (ValueError, IndexError, TypeError):  # pycryptodomex: "RSA key format is not supported"
        raise MerchantSecretError(
            [f"{key}: app_private_key_file or alipay_public_key_file is not an RSA key (PEM)"]
        ) from None
    return AlipayChannel(client, store_id=merchant.store_id, bill_hosts=merchant.bill_hosts)


def merchant_problems(merchant: AlipayMerchant, key: str = "hub.alipay") -> list[str]:
    """What is wrong with the application's key files (``python -m hub --check``)."""
    try:
        load_channel(merchant, key)
    except MerchantSecretError as exc:
        return exc.problems
    return []
