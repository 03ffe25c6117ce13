"""WeChat Pay API v3: the channel (:mod:`.channel`) over the signed transport
(:mod:`.client`), built from the ``[hub.wechat]`` merchant settings by
:func:`load_channel`."""

from __future__ import annotations

from hub.merchant_settings import WeChatMerchant
from hub.services.clock import Clock, SystemClock
from hub.services.payments.merchant import MerchantSecretError, read_public, read_secret
from hub.services.payments.wechat.channel import WeChatPayChannel
from hub.services.payments.wechat.client import WeChatPayClient

__all__ = ["WeChatPayChannel", "WeChatPayClient", "load_channel", "merchant_problems"]


def load_channel(
    merchant: WeChatMerchant, clock: Clock, key: str = "hub.wechat"
) -> WeChatPayChannel:
    """The channel for ``merchant``; :class:`MerchantSecretError` lists every file
    that is missing, too open or malformed (by key path, never by content)."""
    problems: list[str] = []
    private = read_secret(merchant.private_key_file, f"{key}.private_key_file", problems)
    apiv3 = read_secret(merchant.apiv3_key_file, f"{key}.apiv3_key_file", problems)
    public = None
    if merchant.platform_public_key_file is not None:
        public = read_public(
            merchant.platform_public_key_file, f"{key}.platform_public_key_file", problems
        )
    apiv3_key = apiv3.decode("ascii", "replace").strip() if apiv3 is not None else ""
    if apiv3 is not None and len(apiv3_key.encode()) != 32:
        problems.append(f"{key}.apiv3_key_file: {merchant.apiv3_key_file}: not a 32-character key")
    if problems:
        raise MerchantSecretError(problems)
    assert private is not None
    try:
        client = WeChatPayClient(
            mchid=merchant.mchid,
            appid=merchant.appid,
            cert_serial_no=merchant.cert_serial_no,
            private_key_pem=private.decode("ascii", "replace"),
            apiv3_key=apiv3_key,
            gateway=merchant.gateway,
            notify_url=merchant.notify_url,
            platform_public_key_pem=public.decode("ascii", "replace") if public else None,
            platform_public_key_id=merchant.platform_public_key_id,
            platform_cert_dir=merchant.platform_cert_dir,
            timeout_s=merchant.timeout_s,
        )
    except Exception as exc:  # noqa: BLE001 (the SDK raises bare Exception on a bad key)
        # The SDK's message names which key failed to load, never its content.
        raise MerchantSecretError([f"{key}: {exc}"]) from None
    return WeChatPayChannel(client, clock, store_id=merchant.store_id)


def merchant_problems(merchant: WeChatMerchant, key: str = "hub.wechat") -> list[str]:
    """What is wrong with the merchant's key files (``python -m hub --check``)."""
    try:
        load_channel(merchant, SystemClock(), key)
    except MerchantSecretError as exc:
        return exc.problems
    return []
