"""One generated sample study shared by the sample_dicom tests."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from sample_dicom import SampleStudy, generate


@dataclass(frozen=True)
class Generated:
    study: SampleStudy
    seconds: float


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    out = tmp_path_factory.mktemp("sample") / "study"
    t0 = time.perf_counter()
    study = generate(out, seed=0)
    return Generated(study, time.perf_counter() - t0)


@pytest.fixture(scope="session")
def study(generated: Generated) -> SampleStudy:
    return generated.study
