"""One case in full (``CaseDetail``): one module per widget, the controller in ``panel``."""
