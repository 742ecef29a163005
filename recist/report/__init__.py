"""Central review subject report and efficacy summary (issue 8).

Public API
----------
- :func:`subject_pages`, :func:`render_pdf`, :func:`render_html`: one reading's
  central review document; :func:`key_images` finds the measured slices.
- :func:`load_subjects`, :func:`summarize`, :func:`write_summary`,
  :func:`compare_with_adam`: the efficacy summary of many subjects.
- :func:`clopper_pearson`: exact binomial interval.

Matplotlib, lifelines and pandas are imported only when a function needs them.
"""

from recist.report._images import KeyImage, key_images
from recist.report._stats import Proportion, TimeToEvent, clopper_pearson
from recist.report.subject import render_html, render_pdf, subject_pages
from recist.report.summary import (
    EfficacySummary,
    ReferenceComparison,
    SubjectOutcome,
    compare_with_adam,
    load_subjects,
    subject_outcome,
    summarize,
    write_summary,
)

__all__ = [
    "EfficacySummary",
    "KeyImage",
    "Proportion",
    "ReferenceComparison",
    "SubjectOutcome",
    "TimeToEvent",
    "clopper_pearson",
    "compare_with_adam",
    "key_images",
    "load_subjects",
    "render_html",
    "render_pdf",
    "subject_outcome",
    "subject_pages",
    "summarize",
    "write_summary",
]
