"""Find and download images from a PACS over DICOMweb (QIDO-RS and WADO-RS).

The HTTP side is ``dicomweb-client`` (the optional extra ``dicomweb``), imported
only when a request is made, so ``import recist`` stays light.  Downloaded
instances are plain DICOM files under a cache folder, so :func:`recist.dicom.scan`
and :func:`recist.dicom.read_volume` read them like any other folder.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict, TypeVar

from recist._atomic import check_output_dir, replacing
from recist._optional import require
from recist._text import printable
from recist.errors import DicomReadError, InvalidInputError

__all__ = [
    "DicomWebSource",
    "RetrieveResult",
    "SeriesRecord",
    "StoreResult",
    "StudyRecord",
    "check_timeout",
    "check_uid",
    "fetch_to_cache",
    "instance_path",
    "is_dicomweb",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Most QIDO-RS pages one search may take (servers page with ``offset``).
MAX_PAGES = 1000
#: Largest decompressed body of a DICOM JSON answer (QIDO-RS), in bytes.
MAX_JSON_BYTES = 64 * 2**20
#: Largest decompressed body of any other answer (WADO-RS DICOM), in bytes.
MAX_BODY_BYTES = 4 * 2**30
#: Bytes read at a time from an answer (each step checks size and deadline).
_CHUNK = 64 * 2**10

#: A DICOM UID (PS3.5 §9.1): digits and dots, at most 64 characters.  UIDs
#: from the server become file names, so anything else is refused.
_UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")

# DICOM tags as QIDO-RS returns them (PS3.18 §6.7.1.2).
_STUDY_UID = "0020000D"
_SERIES_UID = "0020000E"
_SOP_UID = "00080018"
_STUDY_DATE = "00080020"
_PATIENT_ID = "00100020"
_STUDY_DESCRIPTION = "00081030"
_MODALITIES_IN_STUDY = "00080061"
_MODALITY = "00080060"
_SERIES_NUMBER = "00200011"
_SERIES_DESCRIPTION = "0008103E"
_N_STUDY_SERIES = "00201206"
_N_SERIES_INSTANCES = "00201209"

_STUDY_FIELDS = (
    "StudyDescription",
    "ModalitiesInStudy",
    "NumberOfStudyRelatedSeries",
)
_SERIES_FIELDS = ("SeriesDescription", "NumberOfSeriesRelatedInstances")


class StudyRecord(TypedDict):
    """One study as QIDO-RS lists it.

    Keys: ``study_uid``, ``date`` (DICOM DA, ``YYYYMMDD`` or ``""``),
    ``patient_id``, ``description``, ``modalities`` (Modalities in Study) and
    ``n_series`` (``None`` when the server does not say).
    """

    study_uid: str
    date: str
    patient_id: str
    description: str
    modalities: list[str]
    n_series: int | None


class SeriesRecord(TypedDict):
    """One series of a study as QIDO-RS lists it.

    Keys: ``series_uid``, ``study_uid``, ``modality``, ``number`` (Series
    Number or ``None``), ``description`` and ``n_instances`` (``None`` when the
    server does not say).
    """

    series_uid: str
    study_uid: str
    modality: str
    number: int | None
    description: str
    n_instances: int | None


def _values(item: Mapping[str, Any], tag: str) -> list[Any]:
    """Return the ``Value`` list of ``tag`` in DICOM JSON (``[]`` if absent)."""
    element = item.get(tag)
    if not isinstance(element, Mapping):
        return []
    value = element.get("Value")
    return list(value) if isinstance(value, list) else []


def _text(item: Mapping[str, Any], tag: str) -> str:
    """First value of ``tag`` as text; a person name's ``Alphabetic`` form."""
    values = _values(item, tag)
    if not values or values[0] is None:
        return ""
    first = values[0]
    if isinstance(first, Mapping):
        return str(first.get("Alphabetic", ""))
    return str(first)


def _int(item: Mapping[str, Any], tag: str) -> int | None:
    """First value of ``tag`` as an integer, ``None`` if absent or not a number."""
    text = _text(item, tag)
    try:
        return int(text)
    except ValueError:
        return None


def _uid(value: str, *, what: str, url: str) -> str:
    """Return ``value`` if it is a valid UID, else raise naming its source."""
    if len(value) <= 64 and _UID.match(value):
        return value
    raise DicomReadError(url, f"the server gave an invalid {what}: {value!r}")


def check_uid(value: str, *, what: str) -> str:
    """Refuse a UID given by the user that is not digits and dots (<= 64 chars).

    Examples
    --------
    >>> check_uid("1.2.840.10008.1.2", what="study UID")
    '1.2.840.10008.1.2'
    >>> check_uid("../etc", what="study UID")
    Traceback (most recent call last):
    ...
    recist.errors.InvalidInputError: study UID '../etc' is not a DICOM UID (digits and dots, at most 64 characters)
    """  # noqa: E501
    if len(value) <= 64 and _UID.match(value):
        return value
    msg = (
        f"{what} {value!r} is not a DICOM UID (digits and dots, at most 64 characters)"
    )
    raise InvalidInputError(msg, location=what)


def instance_path(dest: Path, study_uid: str, series_uid: str, sop_uid: str) -> Path:
    """Return where :meth:`DicomWebSource.retrieve` keeps one instance.

    The layout is ``dest/<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm``,
    so one cache folder can hold many studies and a SOP Instance UID names one file.

    Examples
    --------
    >>> instance_path(Path("cache"), "1.2", "1.2.3", "1.2.3.4").as_posix()
    'cache/1.2/1.2.3/1.2.3.4.dcm'
    """
    return dest / study_uid / series_uid / f"{sop_uid}.dcm"


def _cached(path: Path, sop_uid: str) -> bool:
    """Whether ``path`` is a readable DICOM file of instance ``sop_uid``."""
    if not path.is_file():
        return False
    import pydicom

    try:
        ds = pydicom.dcmread(
            path, stop_before_pixels=True, specific_tags=["SOPInstanceUID"]
        )
    except Exception:  # any unreadable file is simply fetched again
        return False
    return str(ds.get("SOPInstanceUID", "")) == sop_uid


@dataclass(frozen=True, slots=True, kw_only=True)
class RetrieveResult:
    """What :meth:`DicomWebSource.retrieve_report` left in the cache folder.

    Attributes
    ----------
    files : tuple of Path
        Every file of the requested instances, sorted.
    downloaded : int
        How many of them were downloaded by this call (the rest were cached).
    """

    files: tuple[Path, ...]
    downloaded: int

    @property
    def cached(self) -> int:
        """How many files were already there (same SOP Instance UID)."""
        return len(self.files) - self.downloaded


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreResult:
    """What :meth:`DicomWebSource.store` sent and what the server said.

    Attributes
    ----------
    stored : tuple of str
        SOP Instance UIDs the server accepted (its Referenced SOP Sequence).
    failed : tuple of (str, str)
        ``(SOP Instance UID, reason)`` of each instance it refused (its
        Failed SOP Sequence, PS3.18 Table 10.5.3-1; the reason is the Failure
        Reason code, e.g. ``0xA700`` out of resources, ``0xC122`` refused).
    """

    stored: tuple[str, ...]
    failed: tuple[tuple[str, str], ...]


#: Instances sent per STOW-RS request (bounds the memory of one request).
STORE_BATCH = 32


@dataclass(slots=True)
class DicomWebSource:
    """A DICOMweb service (QIDO-RS search, WADO-RS retrieve), e.g. a PACS or Orthanc.

    Parameters
    ----------
    url : str
        The service root, e.g. ``http://localhost:8042/dicom-web``.
    headers : mapping of str to str, optional
        Extra HTTP headers sent with every request (e.g. ``Authorization``).
    timeout_s : float
        Connect and read timeout of each request, in seconds. *Permitted
        values:* > 0.

    Notes
    -----
    1. Requests are made by ``dicomweb-client`` (extra ``dicomweb``), imported on
       first use.
    2. Network failures, HTTP errors and answers that are not DICOMweb raise
       :class:`recist.errors.DicomReadError` whose message names the URL (and
       the HTTP status); no ``requests`` exception escapes.
    3. ``timeout_s`` bounds each request as a whole (connecting, the headers
       and the body), not only each socket read: a server that drips its
       answer byte by byte is cut off at the deadline.  Decompressed answers
       are bounded too (:data:`MAX_JSON_BYTES` for searches,
       :data:`MAX_BODY_BYTES` otherwise), so a gzip bomb is refused.
    4. ``dicomweb-client`` retries a request once, 0.5 s later, when it fails
       to connect, times out, or gets HTTP 408/429/503/504; so a dead server
       fails in about 0.5 s and a silent or dripping one after about
       ``2 * timeout_s``.  A :meth:`retrieve` cut short is resumed by calling
       it again.

    Examples
    --------
    >>> src = DicomWebSource("http://127.0.0.1:8042/dicom-web")
    >>> src.url
    'http://127.0.0.1:8042/dicom-web'
    """

    url: str
    headers: Mapping[str, str] | None = None
    timeout_s: float = 20.0
    _client: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.url = self.url.rstrip("/")
        if not re.match(r"^https?://[^/\s]+", self.url):
            msg = f"DICOMweb URL must start with http:// or https://, got {self.url!r}"
            raise InvalidInputError(msg, location="url")
        self.timeout_s = check_timeout(self.timeout_s)

    # -- plumbing ---------------------------------------------------------------

    def _web(self) -> Any:
        """Return the ``DICOMwebClient``, created on first use."""
        if self._client is None:
            module = require("dicomweb_client", extra="dicomweb", feature="DICOMweb")
            try:
                client = module.DICOMwebClient(
                    self.url,
                    headers=dict(self.headers) if self.headers else None,
                    timeout=self.timeout_s,
                    session=_bounded_session(self.timeout_s),
                )
            except ValueError as exc:
                raise InvalidInputError(f"{self.url}: {exc}", location="url") from None
            client.set_http_retry_params(  # one retry, after 0.5 s
                retry=True, max_attempts=2, wait_exponential_multiplier=250
            )
            self._client = client
        return self._client

    def _call(self, what: str, request: Callable[[], T]) -> T:
        """Run one request; turn every transport or HTTP failure into DicomReadError."""
        import requests
        import retrying

        try:
            return request()
        except requests.HTTPError as exc:
            response = exc.response
            status = "" if response is None else f"HTTP {response.status_code}"
            reason = "" if response is None else f" {printable(response.reason)}"
            where = self.url if response is None else response.url.split("?")[0]
            raise DicomReadError(
                where, f"{what} failed: {status}{reason}".rstrip()
            ) from None
        except retrying.RetryError as exc:  # still 429/408/503/504 after the retry
            last = getattr(exc.last_attempt, "value", None)
            code = getattr(last, "status_code", "?")
            where = str(getattr(last, "url", self.url)).split("?")[0]
            reason = printable(str(getattr(last, "reason", "")))
            raise DicomReadError(
                where, f"{what} failed: HTTP {code} {reason} (after a retry)"
            ) from None
        except _TooLarge as exc:
            raise DicomReadError(self.url, f"{what} failed: {exc}") from None
        except _Deadline:
            raise DicomReadError(
                self.url,
                f"{what} failed: the answer did not complete within "
                f"{self.timeout_s:g} s (a retry included)",
            ) from None
        except requests.exceptions.JSONDecodeError as exc:
            raise DicomReadError(
                self.url, f"{what} failed: the answer is not DICOM JSON ({exc})"
            ) from None
        except requests.Timeout:
            raise DicomReadError(
                self.url, f"{what} failed: no answer within {self.timeout_s:g} s"
            ) from None
        except requests.ConnectionError as exc:
            raise DicomReadError(
                self.url, f"{what} failed: cannot connect ({_short(exc)})"
            ) from None
        except requests.RequestException as exc:
            raise DicomReadError(self.url, f"{what} failed: {_short(exc)}") from None
        except ValueError as exc:  # e.g. a body that is not multipart DICOM
            raise DicomReadError(
                self.url, f"{what} failed: the answer is not DICOMweb ({exc})"
            ) from None

    def _search(self, what: str, page: Callable[[int], Any]) -> list[Mapping[str, Any]]:
        """Run a QIDO-RS search page by page (``offset``); bounded.

        ``page(offset)`` makes one request.  Paging stops at an empty page, or
        when a page brings nothing new (a server that ignores ``offset``), and
        fails past :data:`MAX_PAGES`.  An answer that is not a list of DICOM
        JSON objects is refused.
        """
        out: list[Mapping[str, Any]] = []
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            found = self._call(what, lambda: page(len(out)))
            if not isinstance(found, list) or not all(
                isinstance(item, Mapping) for item in found
            ):
                reason = f"{what} failed: the answer is not a DICOM JSON list"
                raise DicomReadError(self.url, reason)
            keys = [json.dumps(item, sort_keys=True, default=str) for item in found]
            new = [
                item for item, key in zip(found, keys, strict=True) if key not in seen
            ]
            if not new:
                return out
            seen.update(keys)
            out.extend(new)
        reason = f"{what} failed: more than {MAX_PAGES} pages of results"
        raise DicomReadError(self.url, reason)

    # -- QIDO-RS ----------------------------------------------------------------

    def studies(self, patient_id: str | None = None) -> list[StudyRecord]:
        """List the studies (QIDO-RS ``/studies``), optionally of one patient.

        Parameters
        ----------
        patient_id : str, optional
            Patient ID to match exactly (DICOM wildcards ``*``/``?`` allowed).

        Returns
        -------
        list of StudyRecord
            Sorted by patient, date and study UID.
        """
        web = self._web()
        filters = {} if patient_id is None else {"PatientID": patient_id}
        found = self._search(
            "study search (QIDO-RS)",
            lambda offset: web.search_for_studies(
                fields=list(_STUDY_FIELDS), search_filters=filters, offset=offset
            ),
        )
        out: list[StudyRecord] = []
        for item in found:
            modalities = [str(v) for v in _values(item, _MODALITIES_IN_STUDY) if v]
            out.append(
                StudyRecord(
                    study_uid=_uid(
                        _text(item, _STUDY_UID), what="study UID", url=self.url
                    ),
                    date=_text(item, _STUDY_DATE),
                    patient_id=_text(item, _PATIENT_ID),
                    description=_text(item, _STUDY_DESCRIPTION),
                    modalities=modalities,
                    n_series=_int(item, _N_STUDY_SERIES),
                )
            )
        out.sort(key=lambda r: (r["patient_id"], r["date"], r["study_uid"]))
        return out

    def series(self, study_uid: str) -> list[SeriesRecord]:
        """List the series of one study (QIDO-RS ``/studies/{uid}/series``).

        Parameters
        ----------
        study_uid : str
            Study Instance UID.

        Returns
        -------
        list of SeriesRecord
            Sorted by series number, then UID; empty for an unknown study on
            servers that answer it with an empty list.
        """
        check_uid(study_uid, what="study UID")
        web = self._web()
        found = self._search(
            f"series search of study {study_uid} (QIDO-RS)",
            lambda offset: web.search_for_series(
                study_instance_uid=study_uid,
                fields=list(_SERIES_FIELDS),
                offset=offset,
            ),
        )
        out: list[SeriesRecord] = []
        for item in found:
            out.append(
                SeriesRecord(
                    series_uid=_uid(
                        _text(item, _SERIES_UID), what="series UID", url=self.url
                    ),
                    study_uid=study_uid,
                    modality=_text(item, _MODALITY),
                    number=_int(item, _SERIES_NUMBER),
                    description=_text(item, _SERIES_DESCRIPTION),
                    n_instances=_int(item, _N_SERIES_INSTANCES),
                )
            )
        big = 2**63
        out.sort(
            key=lambda r: (big if r["number"] is None else r["number"], r["series_uid"])
        )
        return out

    def _instances(
        self, study_uid: str, series_uid: str | None
    ) -> list[tuple[str, str]]:
        """``(series UID, SOP UID)`` of every instance in a study or one series."""
        web = self._web()
        what = f"study {study_uid}" + (
            "" if series_uid is None else f" series {series_uid}"
        )
        found = self._search(
            f"instance search of {what} (QIDO-RS)",
            lambda offset: web.search_for_instances(
                study_instance_uid=study_uid,
                series_instance_uid=series_uid,
                offset=offset,
            ),
        )
        out = []
        for item in found:
            series = _uid(
                _text(item, _SERIES_UID) or (series_uid or ""),
                what="series UID",
                url=self.url,
            )
            sop = _uid(_text(item, _SOP_UID), what="SOP instance UID", url=self.url)
            out.append((series, sop))
        if not out:
            raise DicomReadError(self.url, f"no instances found for {what}")
        return sorted(set(out))

    # -- STOW-RS ----------------------------------------------------------------

    def store(self, files: Sequence[str | Path]) -> StoreResult:
        """Send DICOM files to the server (STOW-RS), :data:`STORE_BATCH` at a time.

        Parameters
        ----------
        files : sequence of path
            DICOM files (images, SR, SEG, ...); each is read with pydicom.

        Returns
        -------
        StoreResult
            What the server accepted and refused (a refusal is not an error:
            it is reported per instance).

        Raises
        ------
        DicomReadError
            A file is not DICOM, or the server cannot be reached / answers an
            HTTP error for a whole request.
        """
        import pydicom
        from pydicom.errors import InvalidDicomError

        web = self._web()
        stored: list[str] = []
        failed: list[tuple[str, str]] = []
        paths = [Path(f) for f in files]
        for start in range(0, len(paths), STORE_BATCH):
            batch = []
            for path in paths[start : start + STORE_BATCH]:
                try:
                    batch.append(pydicom.dcmread(path))
                except (InvalidDicomError, OSError, ValueError, EOFError) as exc:
                    raise DicomReadError(str(path), f"not DICOM ({exc})") from None
            answer = self._call(
                f"store of {len(batch)} instance(s) (STOW-RS)", _store(web, batch)
            )
            sent = {str(ds.SOPInstanceUID) for ds in batch}
            for item in getattr(answer, "ReferencedSOPSequence", []):
                stored.append(str(item.get("ReferencedSOPInstanceUID", "")))
            for item in getattr(answer, "FailedSOPSequence", []):
                reason = item.get("FailureReason")
                code = "" if reason is None else f"0x{int(reason):04X}"
                uid = str(item.get("ReferencedSOPInstanceUID", ""))
                failed.append((uid, code))
            said = set(stored) | {uid for uid, _ in failed}
            failed += [(u, "not in the answer") for u in sorted(sent - said)]
        logger.info("%s: %d stored, %d refused", self.url, len(stored), len(failed))
        return StoreResult(stored=tuple(stored), failed=tuple(failed))

    # -- WADO-RS ----------------------------------------------------------------

    def _save(
        self, root: Path, study_uid: str, series_uid: str, sop_uid: str, ds: Any
    ) -> None:
        """Write one received instance to its cache path (temp file + replace)."""
        if (
            str(ds.get("StudyInstanceUID", study_uid)) != study_uid
            or str(ds.get("SeriesInstanceUID", series_uid)) != series_uid
        ):
            raise DicomReadError(
                self.url,
                f"instance {sop_uid}: the server sent it under another study/series",
            )
        path = instance_path(root, study_uid, series_uid, sop_uid)
        check_output_dir(path.parent)
        with replacing(path) as tmp:
            ds.save_as(tmp, enforce_file_format=True)

    def retrieve(
        self,
        study_uid: str,
        series_uid: str | None = None,
        *,
        dest: str | Path,
    ) -> list[Path]:
        """Download a study or one series (WADO-RS) as DICOM files under ``dest``.

        The files of :meth:`retrieve_report`; see there.
        """
        return list(self.retrieve_report(study_uid, series_uid, dest=dest).files)

    def retrieve_report(
        self,
        study_uid: str,
        series_uid: str | None = None,
        *,
        dest: str | Path,
    ) -> RetrieveResult:
        """Download a study or one series (WADO-RS); say what was new.

        Parameters
        ----------
        study_uid : str
            Study Instance UID.
        series_uid : str, optional
            Series Instance UID; all series of the study when omitted.
        dest : str or Path
            Cache folder, created if needed. Each instance is written to
            :func:`instance_path` via a temporary file and :func:`os.replace`.

        Returns
        -------
        RetrieveResult
            ``files``: every file of the requested instances, downloaded now or
            already cached, sorted (pass ``dest`` or them to
            :func:`recist.dicom.scan` / :func:`recist.dicom.read_volume`);
            ``downloaded``: how many were fetched now.

        Raises
        ------
        DicomReadError
            The server cannot be reached, answers an HTTP error, has no such
            study/series, or sends an instance other than the one asked for.

        Notes
        -----
        1. The instances are listed with QIDO-RS; an instance whose file already
           exists and holds the same SOP Instance UID is not downloaded again.
           A series missing more than one instance is retrieved with one
           series-level request; an instance it lacks, or a series missing only
           one, instance by instance.
        2. Instances are asked for in the transfer syntax the server stores
           (``transfer-syntax=*``), so nothing is transcoded on the way.
        """
        check_uid(study_uid, what="study UID")
        if series_uid is not None:
            check_uid(series_uid, what="series UID")
        root = check_output_dir(dest)
        instances = self._instances(study_uid, series_uid)
        web = self._web()
        paths: list[Path] = []
        wanted: dict[str, list[str]] = {}  # series -> SOP UIDs not cached
        for series, sop in instances:
            path = instance_path(root, study_uid, series, sop)
            paths.append(path)
            if not _cached(path, sop):
                wanted.setdefault(series, []).append(sop)
        fetched = 0
        for series, sops in wanted.items():
            if len(sops) > 1:  # one series-level request (PS3.18 10.4.1)
                datasets = self._call(
                    f"retrieve of series {series} (WADO-RS)",
                    _retrieve_series(web, study_uid, series),
                )
                for ds in datasets:
                    sop = str(ds.get("SOPInstanceUID", ""))
                    if sop in sops:
                        self._save(root, study_uid, series, sop, ds)
                        fetched += 1
                        sops.remove(sop)
            for sop in sops:  # one instance, or what the series answer lacked
                ds = self._call(
                    f"retrieve of instance {sop} (WADO-RS)",
                    _retrieve_one(web, study_uid, series, sop),
                )
                got = str(ds.get("SOPInstanceUID", ""))
                if got != sop:
                    raise DicomReadError(
                        self.url,
                        f"asked for instance {sop}, the server sent {got or 'none'}",
                    )
                self._save(root, study_uid, series, sop, ds)
                fetched += 1
        logger.info(
            "%s: %d instance(s) downloaded, %d already cached in %s",
            self.url,
            fetched,
            len(paths) - fetched,
            root,
        )
        return RetrieveResult(files=tuple(sorted(paths)), downloaded=fetched)


def _store(web: Any, datasets: list[Any]) -> Callable[[], Any]:
    """Return a STOW-RS request storing ``datasets`` (one multipart POST)."""

    def request() -> Any:
        return web.store_instances(datasets)

    return request


def _retrieve_series(web: Any, study_uid: str, series_uid: str) -> Callable[[], Any]:
    """Return a request for a whole series in its stored transfer syntax."""

    def request() -> Any:
        return web.retrieve_series(
            study_uid, series_uid, media_types=(("application/dicom", "*"),)
        )

    return request


def _retrieve_one(
    web: Any, study_uid: str, series_uid: str, sop_uid: str
) -> Callable[[], Any]:
    """Return a request for one instance in its stored transfer syntax."""

    def request() -> Any:
        return web.retrieve_instance(
            study_uid, series_uid, sop_uid, media_types=(("application/dicom", "*"),)
        )

    return request


#: Scheme prefix of a DICOMweb location given where a path is expected.
DICOMWEB_PREFIX = "dicomweb+"


def is_dicomweb(location: str | Path) -> bool:
    """Whether ``location`` names a DICOMweb service (``dicomweb+http(s)://...``).

    Examples
    --------
    >>> is_dicomweb("dicomweb+http://pacs:8042/dicom-web"), is_dicomweb("study/")
    (True, False)
    """
    return str(location).startswith(
        (f"{DICOMWEB_PREFIX}http://", f"{DICOMWEB_PREFIX}https://")
    )


def default_cache() -> Path:
    """Return the DICOMweb cache: ``$RECIST_CACHE/dicomweb`` or ~/.cache/recist."""
    import os

    root = os.environ.get("RECIST_CACHE")
    return (Path(root) if root else Path.home() / ".cache" / "recist") / "dicomweb"


def fetch_to_cache(
    location: str,
    *,
    study_uid: str | None = None,
    patient_id: str | None = None,
    cache: str | Path | None = None,
    timeout_s: float = 20.0,
) -> Path:
    """Download a study, or every study of a patient, into the cache.

    Parameters
    ----------
    location : str
        ``dicomweb+http://host/dicom-web`` (or ``https``).
    study_uid, patient_id : str
        Exactly one of them.
    cache : path, optional
        Cache root (default :func:`default_cache`); instances already there
        are not downloaded again.

    Returns
    -------
    Path
        A folder holding only what was asked for: ``<cache>/<host>/<study>``
        for a study, ``<cache>/<host>/patient-<sha1 of the ID>`` for a patient,
        ready for :func:`recist.dicom.scan` or ``recist view``.
    """
    import hashlib
    from urllib.parse import urlsplit

    if not is_dicomweb(location):
        msg = f"{location!r} is not a dicomweb+http(s):// location"
        raise InvalidInputError(msg, location="url")
    if (study_uid is None) == (patient_id is None):
        msg = "give --study UID or --patient ID with a dicomweb+http location"
        raise InvalidInputError(msg, location="url")
    url = location.removeprefix(DICOMWEB_PREFIX)
    source = DicomWebSource(url, timeout_s=timeout_s)
    host = re.sub(r"[^A-Za-z0-9.-]+", "_", urlsplit(url).netloc) or "server"
    root = Path(cache) if cache is not None else default_cache()
    if study_uid is not None:
        check_uid(study_uid, what="study UID")
        source.retrieve_report(study_uid, dest=root / host)
        return root / host / study_uid
    assert patient_id is not None
    digest = hashlib.sha1(patient_id.encode(), usedforsecurity=False).hexdigest()
    folder = root / host / f"patient-{digest[:16]}"
    studies = source.studies(patient_id=patient_id)
    if not studies:
        raise DicomReadError(url, f"no study of patient {patient_id!r}")
    for s in studies:
        source.retrieve_report(s["study_uid"], dest=folder)
    return folder


def check_timeout(value: float) -> float:
    """Return a timeout in seconds if it is finite and > 0, else refuse it.

    Examples
    --------
    >>> check_timeout(2.5)
    2.5
    >>> check_timeout(float("inf"))
    Traceback (most recent call last):
    ...
    recist.errors.InvalidInputError: timeout must be a finite number of seconds > 0, got inf
    """  # noqa: E501
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        msg = f"timeout must be a finite number of seconds > 0, got {value!r}"
        raise InvalidInputError(msg, location="timeout")
    return seconds


class _Deadline(Exception):
    """A request did not complete within its total deadline."""


class _TooLarge(Exception):
    """An answer decompressed past its bound."""


def _bounded_session(total_s: float) -> Any:
    """Return a ``requests.Session`` whose every request has a total deadline.

    Each request runs with a watchdog: at ``total_s`` seconds after it began,
    the sockets it opened are shut down, so a read blocked on a server that
    drips its answer returns at once.  The body is read here in chunks of
    :data:`_CHUNK` bytes, decompressed (gzip/deflate), and refused past
    :data:`MAX_JSON_BYTES` (JSON) or :data:`MAX_BODY_BYTES` (anything else).
    """
    import socket
    import threading

    import requests
    import urllib3
    from requests.adapters import HTTPAdapter

    local = threading.local()

    def track(sock: Any) -> Any:
        opened = getattr(local, "sockets", None)
        if opened is not None:
            opened.append(sock)
        return sock

    class _Http(urllib3.connection.HTTPConnection):
        def _new_conn(self) -> Any:
            return track(super()._new_conn())

    class _Https(urllib3.connection.HTTPSConnection):
        def _new_conn(self) -> Any:
            return track(super()._new_conn())

    class _HttpPool(urllib3.HTTPConnectionPool):
        ConnectionCls = _Http

    class _HttpsPool(urllib3.HTTPSConnectionPool):
        ConnectionCls = _Https

    class _Adapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {
                "http": _HttpPool,
                "https": _HttpsPool,
            }

    class _Session(requests.Session):
        def request(  # type: ignore[override]
            self, method: str, url: str, *args: Any, **kwargs: Any
        ) -> requests.Response:
            kwargs["stream"] = True
            local.sockets = opened = []
            expired = threading.Event()

            def stop() -> None:
                expired.set()
                for sock in list(opened):
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)

            timer = threading.Timer(total_s, stop)
            timer.daemon = True
            timer.start()
            try:
                response = super().request(method, url, *args, **kwargs)
                kind = response.headers.get("Content-Type", "")
                limit = MAX_JSON_BYTES if "json" in kind else MAX_BODY_BYTES
                body = bytearray()
                for chunk in response.iter_content(_CHUNK):
                    body += chunk
                    if len(body) > limit:
                        response.close()
                        msg = (
                            f"the answer is larger than {limit // 2**20} MiB "
                            "decompressed (refused)"
                        )
                        raise _TooLarge(msg)
                response._content = bytes(body)
                response._content_consumed = True
            except (requests.RequestException, OSError, urllib3.exceptions.HTTPError):
                if expired.is_set():
                    raise _Deadline from None
                raise
            finally:
                timer.cancel()
                local.sockets = None
            if expired.is_set():
                raise _Deadline
            return response

    session = _Session()
    adapter = _Adapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _short(exc: BaseException) -> str:
    """Return an exception's gist, e.g. ``[Errno 111] Connection refused``."""
    text = str(exc)
    match = re.search(r"\[Errno -?\d+\] [^'\")\]]+", text)
    if match:
        return match.group(0).strip()
    last = text.strip().splitlines()[-1] if text.strip() else type(exc).__name__
    return last[:200]
