"""The back office (DESIGN.md §8): where departments work the applications
the terminals accept.

- :mod:`~hub.backoffice.workflow`: the application state machine (受理, 补正,
  审核通过, 办结 准予/不予, 退回, 寄出) with its explicit transition table;
- :mod:`~hub.backoffice.workdays`: working days on the official calendar;
- :mod:`~hub.backoffice.supervision`: time limits and 红牌/黄牌 warnings;
- :mod:`~hub.backoffice.sms`: the SMS outbox and gateway adapters;
- :mod:`~hub.backoffice.scopes`: which departments and items a staff account handles.

The console's workbench (``hub/fleet/console/workbench_pages.py``) is its face.
"""
