"""Run a private Orthanc (with its DICOMweb plugin) on a free loopback port for tests.

Debian: ``apt-get install orthanc orthanc-dicomweb``.  The packages' service is
not used: each test session starts its own ``Orthanc`` process with a config in
a temporary folder (storage and index there, HTTP on 127.0.0.1 only, no DICOM
port, no authentication) and ends it afterwards.  Instances are uploaded with
plain ``urllib`` (``POST /instances``), independent of the code under test.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ORTHANC_BINARIES = ("Orthanc", "/usr/sbin/Orthanc")
PLUGIN_GLOBS = (
    "/usr/share/orthanc/plugins/libOrthancDicomWeb.so",
    "/usr/lib/orthanc/libOrthancDicomWeb.so*",
    "/usr/local/share/orthanc/plugins/libOrthancDicomWeb.so",
)
START_TIMEOUT_S = 20.0


def find_orthanc() -> tuple[str, str] | str:
    """Return ``(binary, dicomweb_plugin)`` or the reason why they are absent."""
    binary = next((b for b in map(shutil.which, ORTHANC_BINARIES) if b), None)
    if binary is None:
        return "the Orthanc binary is absent (apt-get install orthanc orthanc-dicomweb)"
    for pattern in PLUGIN_GLOBS:
        root = Path(pattern).parent
        hits = sorted(root.glob(Path(pattern).name)) if root.is_dir() else []
        if hits:
            return binary, str(hits[0])
    return "the Orthanc DICOMweb plugin is absent (apt-get install orthanc-dicomweb)"


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Orthanc:
    """A running private Orthanc: its base URL and DICOMweb root."""

    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def dicomweb_url(self) -> str:
        """The DICOMweb root (``/dicom-web``)."""
        return f"{self.base_url}/dicom-web"

    def upload(self, files: Iterable[Path]) -> int:
        """POST each DICOM file to ``/instances``; return how many were stored."""
        n = 0
        for path in files:
            req = urllib.request.Request(
                f"{self.base_url}/instances",
                data=path.read_bytes(),
                headers={"Content-Type": "application/dicom"},
                method="POST",
            )
            with urllib.request.urlopen(req, timeout=10) as resp:
                status = json.loads(resp.read())["Status"]
            if status not in ("Success", "AlreadyStored"):
                msg = f"Orthanc refused {path}: {status}"
                raise RuntimeError(msg)
            n += 1
        return n


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/system", timeout=1) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def running_orthanc(workdir: Path, binary: str, plugin: str) -> Iterator[Orthanc]:
    """Start Orthanc in ``workdir``, wait (bounded) for ``/system``; stop it after."""
    port = free_port()
    storage = workdir / "storage"
    storage.mkdir(parents=True)
    config = {
        "Name": "recist-test",
        "StorageDirectory": str(storage),
        "IndexDirectory": str(storage),
        "HttpPort": port,
        "RemoteAccessAllowed": False,  # loopback clients only
        "AuthenticationEnabled": False,
        "DicomServerEnabled": False,  # no DICOM (C-STORE) port at all
        "DicomPort": free_port(),
        "Plugins": [plugin],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "Host": "127.0.0.1"},
        "HttpCompressionEnabled": False,
    }
    config_path = workdir / "orthanc.json"
    config_path.write_text(json.dumps(config, indent=2))
    log_path = workdir / "orthanc.log"
    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [binary, str(config_path)],
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _answers(base_url):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-2000:]
                msg = f"Orthanc did not start on {base_url}:\n{tail}"
                raise RuntimeError(msg)
            time.sleep(0.1)
        yield Orthanc(base_url=base_url, process=process, log_path=log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
