"""Over-the-air updates at process level: a headless terminal that runs the
real fleet agent and updater from an application slot (``terminal.py``), and
the helpers tests and bench use to lay out slots and a signed repository
(``fleet.py``)."""
