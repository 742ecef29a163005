"""File formats: the response case format and the reading file (JSON).

Pydantic lives only here; it turns JSON into the domain model of
:mod:`recist.model` with errors that name the JSON path.
"""

from recist.formats.case import assess_json, assessment_to_json, load_case
from recist.formats.reading import (
    load_reading,
    reading_from_dict,
    reading_to_dict,
    save_reading,
)

__all__ = [
    "assess_json",
    "assessment_to_json",
    "load_case",
    "load_reading",
    "reading_from_dict",
    "reading_to_dict",
    "save_reading",
]
