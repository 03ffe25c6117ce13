"""What a hub outside demo mode refuses to start with (production safety).

Demo mode is ``demo_data = true``: ``config/hub.toml`` and ``make demo`` run
with the demo's citizens, the reusable ``DEMO-ENROL`` code, the sandbox payment
channel and the well-known demo secrets. Everywhere else the hub must not start
while any of those well-known values would protect real people's data:

- ``secret_key`` is the demo default, an example placeholder or shorter than
  :data:`MIN_SECRET_KEY` characters (it keys the person references and signs
  console sessions: a known key makes both forgeable);
- the bootstrap password is the demo value or a placeholder, or too weak for
  the console's password policy;
- ``public_url`` is unset (certificate QR codes would carry whatever Host a
  client sent);
- the sandbox payment channel is configured (it marks orders paid without money);
- the data key file (``data_key_file``) is missing, unreadable, readable by
  others or malformed (:func:`hub.crypto.key_file_problem`): contact data and
  TOTP secrets are sealed with it, and only a demo hub makes its own;
- a WeChat Pay or Alipay channel whose gateway or notify_url is not https, or whose key
  files are missing, readable by others or malformed (key path, never content).

:func:`refusals` lists every problem as one line naming the key;
``python -m hub`` prints them and exits with status 2 (``hub/__main__.py``),
and :func:`hub.app.create_app` raises for any other launcher.
"""

from __future__ import annotations

from hub.crypto import key_file_problem
from hub.fleet.console.passwords import password_problem_en
from hub.merchant_settings import production_problems
from hub.published import DEMO_SECRET_KEYS, is_demo_password, is_placeholder
from hub.settings import HubSettings

MIN_SECRET_KEY = 32
_MAKE_KEY = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


def refusals(settings: HubSettings) -> list[str]:
    """Why this hub must not start; empty in demo mode or when all is set."""
    if settings.demo_data:
        return []
    problems: list[str] = []
    key = settings.secret_key
    if key in DEMO_SECRET_KEYS or is_placeholder(key):
        problems.append(
            "hub.secret_key is the demo or example value: set your own, "
            f"{MIN_SECRET_KEY}+ random characters (e.g. {_MAKE_KEY})"
        )
    elif len(key) < MIN_SECRET_KEY:
        problems.append(
            f"hub.secret_key is shorter than {MIN_SECRET_KEY} characters: set "
            f"{MIN_SECRET_KEY}+ random characters (e.g. {_MAKE_KEY})"
        )
    password = settings.bootstrap_password
    if settings.bootstrap_admin and password is not None:
        if is_demo_password(password):
            problems.append(
                "hub.bootstrap_password is the demo or example value: set a one-time password "
                "of your own (the first login must replace it)"
            )
        else:
            weak = password_problem_en(password, settings.bootstrap_admin)
            if weak:
                problems.append(f"hub.bootstrap_password is too weak: {weak}")
    if settings.public_url is None:
        problems.append(
            "hub.public_url is not set: set the https:// address people's phones reach this hub "
            "at (it is printed in certificate QR codes)"
        )
    if settings.payment_provider == "sandbox":
        problems.append(
            'hub.payment_provider is "sandbox", the demo\'s simulated channel that pays '
            'without money: set "none" (the terminals tell people where to pay) until a '
            "real channel's adapter is installed"
        )
    key_problem = key_file_problem(settings)
    if key_problem is not None:
        problems.append(key_problem)
    problems.extend(production_problems(settings.wechat, "hub.wechat"))
    if settings.payment_provider == "wechat" and settings.wechat is not None:
        from hub.services.payments.wechat import merchant_problems  # only when configured

        problems.extend(merchant_problems(settings.wechat))
    problems.extend(production_problems(settings.alipay, "hub.alipay"))
    if settings.payment_provider == "alipay" and settings.alipay is not None:
        from hub.services.payments.alipay import merchant_problems as alipay_problems

        problems.extend(alipay_problems(settings.alipay))
    return problems
