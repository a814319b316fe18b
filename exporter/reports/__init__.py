"""What analysts read off the dbt marts from the command line: ``ara summary``, ``ara report``."""

from ._report import add_report_command, build_reports, write_report
from ._summary import add_summary_command, run_summary

__all__ = [
    "add_report_command",
    "add_summary_command",
    "build_reports",
    "run_summary",
    "write_report",
]
