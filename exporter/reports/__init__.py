"""What analysts read off the dbt marts from the command line: ``ara summary``."""

from ._summary import add_summary_command, run_summary

__all__ = ["add_summary_command", "run_summary"]
