"""The data-driven intake protocol: request types, tabs, fields, urgency rules, service chart.

Qt-free, so the rules run the same in the desktop console, in tests and in tools.
"""

from console.protocol.definition import (
    Condition,
    Field,
    Option,
    Protocol,
    ProtocolError,
    RequestType,
    Tab,
    UrgencyRule,
    load_protocol,
)
from console.protocol.engine import (
    Answers,
    Evaluation,
    Missing,
    Step,
    effective_urgency,
    evaluate,
)

__all__ = [
    "Answers",
    "Condition",
    "Evaluation",
    "Field",
    "Missing",
    "Option",
    "Protocol",
    "ProtocolError",
    "RequestType",
    "Step",
    "Tab",
    "UrgencyRule",
    "effective_urgency",
    "evaluate",
    "load_protocol",
]
