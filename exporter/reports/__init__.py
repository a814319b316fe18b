"""What analysts read off the dbt marts from the command line: ``ara summary``, ``ara report``,
``ara compare``."""

from ._compare import add_compare_command, compare_runs, comparison_lines
from ._report import build_reports, write_report
from ._report_cli import add_report_command
from ._summary import add_summary_command, run_summary

__all__ = [
    "add_compare_command",
    "add_report_command",
    "add_summary_command",
    "build_reports",
    "compare_runs",
    "comparison_lines",
    "run_summary",
    "write_report",
]
