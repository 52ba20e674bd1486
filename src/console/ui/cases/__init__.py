"""The case panels: the case list, one case in full, handing a case on, the supervisor's view.

Each panel is given a ``CaseServices`` and the ``TaskManager``; anything that reads or changes a
case runs on a task lane, never on the GUI thread.
"""
