"""Live supervisor alerts on screen: the window's alert desk and the supervisor's board."""
