"""Tools beside the product (not shipped on a kiosk): the headless kiosk that
tests, the audit and the benchmarks drive (:mod:`tools.headless`), and the
accessibility audit (``python -m tools.audit``)."""
