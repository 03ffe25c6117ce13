"""The attack suite (issue 13): each test runs one class of attack that an
independent tester used against a running hub and kiosk, against a real hub
process (``python -m hub``) and, where the kiosk is the target, the kiosk's
own code, and asserts the refusal. Each was written to fail before its fix."""
