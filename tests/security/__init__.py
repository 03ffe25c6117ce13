"""The attack suite (issue 13): each attack class the independent tester
found, run against a REAL hub process (``python -m hub``, or the tree
``systemd/install.sh`` installed) and, where the kiosk is the target, the
kiosk's own code, asserting the refusal.

One module per attack class; every test here failed on the code before its
fix and passes after it. They run in CI with the rest of the suite.

- ``test_demo_as_production``: class 3, the documented install shipped the demo
  (demo data, DEMO-ENROL, the sandbox, published secrets) as production.
- ``test_console_login``: class 4, an anonymous lock of the admin, account
  enumeration from the replies, weak and bootstrap passwords kept.
- ``test_csv_injection``: class 5, formulas in the statistics export.
- ``test_hardware_field``: class 6, an oversized ``hardware`` field.
- ``test_body_cap``: class 8, unbounded request bodies.
- ``test_slow_connections``: class 11, half-open connections and log flooding.
- ``test_nul``: class 12, NUL characters.
- ``test_announcements``: class 13, unbounded and never-expiring announcements.
- ``test_audit_chain`` and ``test_at_rest``: class 14, failed enrolments
  unaudited, session ids and contact data in clear; the audit chain.
"""
