"""ReportQA: ask plain-language questions of research reports and get back cited passages."""

from __future__ import annotations

__version__ = "0.1.0"
