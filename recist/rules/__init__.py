"""The rules: RECIST 1.1 (:mod:`.recist11`), iRECIST (:mod:`.irecist`), best response.

Each rule is a pure function returning :class:`~recist.model.Assessed`.
"""

from recist.rules.best_response import best_overall_response
from recist.rules.recist11 import check_baseline, check_reading

__all__ = ["best_overall_response", "check_baseline", "check_reading"]
