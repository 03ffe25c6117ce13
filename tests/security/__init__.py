"""The attack suite (issue 13): each attack class the independent tester
found, run against a REAL hub process (``python -m hub``, or the tree
``systemd/install.sh`` installed) and asserting the refusal.

One module per attack class; every test here failed on the code before its
fix and passes after it. They run in CI with the rest of the suite.

- ``test_demo_as_production``: class 3, the documented install shipped the demo
  (demo data, DEMO-ENROL, the sandbox, published secrets) as production.
- ``test_console_login``: class 4, an anonymous lock of the admin, account
  enumeration from the replies, weak and bootstrap passwords kept.
"""
