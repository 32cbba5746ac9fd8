"""Processes that run Athena: the supervisor behind ``athena up`` (later: the live engine)."""

from athena.runtime.supervisor import DashboardServer, Server, build_server, run_up

__all__ = ["DashboardServer", "Server", "build_server", "run_up"]
