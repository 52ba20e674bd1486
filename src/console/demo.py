"""The demo accounts of the server built into a workstation that has no central server."""

DEMO_SPECIALIST = "demo.specialist"
DEMO_SUPERVISOR = "demo.supervisor"
DEMO_ROLES = {DEMO_SPECIALIST: "specialist", DEMO_SUPERVISOR: "supervisor"}
