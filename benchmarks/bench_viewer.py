"""Viewer benchmark: the reading workstation against a plain napari viewer, same run.

``python -m benchmarks viewer`` writes (once, cached under /tmp) a patient with two
CT studies of 300 x 512 x 512 int16 slices, then, in this process, on the same
canvas size and the same volume:

- **slice step**: one slice down, drawn (the canvas's draw event counted), for a
  plain napari viewer with the volume as its one image layer and for the
  workstation on the baseline; side by side against a plain napari grid of the
  two volumes;
- **window/level change**: new contrast limits, drawn, the same pairs;
- **open**: ``Workstation.open`` on the two studies up to the first frame drawn,
  against reading the two series' DICOM (``read_volume``) plus one plain-napari
  frame of one volume; warm (the second open in this process);
- **memory**: what the workstation's layers hold against the volumes it shows.

Ratios are workstation / plain napari (target <= 1.3 for slice step and W/L, open
<= 3 s and <= 2x read + frame).  The OpenGL renderer is printed: on a machine
without a GPU it is Mesa's llvmpipe, where drawing dominates.  Needs a display:
without one a private Xvfb is started (as ``recist view --screenshot`` does).
"""

from __future__ import annotations

import gc
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

N_SLICES, ROWS, COLS = 300, 512, 512
CACHE = Path(tempfile.gettempdir()) / "recist-bench-viewer-v1"
#: Canvas size (px) of every viewer measured: the canvas of a 1920 x 1080
#: window with the workstation's docks is about this size.
CANVAS_PX = (1000, 800)
STEPS = 30


def make_patient(folder: Path = CACHE) -> Path:
    """Write two studies (baseline, follow-up) of one patient once; return it."""
    done = folder / ".complete"
    if done.exists():
        return folder
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:ROWS, :COLS]
    body = ((yy - 256) ** 2 / 200**2 + (xx - 256) ** 2 / 240**2) < 1
    liver = ((yy - 300) ** 2 / 90**2 + (xx - 180) ** 2 / 110**2) < 1
    for visit, (date, z0) in enumerate((("20240101", -300.0), ("20240401", -297.5))):
        study, series = generate_uid(), generate_uid()
        sub = folder / f"{date}_study"
        sub.mkdir(parents=True, exist_ok=True)
        for k in range(N_SLICES):
            img = np.where(body, 1024 + 40, 24).astype(np.int32)
            img[liver] += 20
            img += rng.integers(-20, 21, size=img.shape)
            px = np.clip(img, 0, 4095).astype(np.uint16)
            ds = Dataset()
            ds.file_meta = FileMetaDataset()
            ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
            ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
            ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
            ds.SOPClassUID = CTImageStorage
            ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
            ds.PatientName, ds.PatientID, ds.Modality = "Bench", "BV1", "CT"
            ds.StudyDate = date
            ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
            ds.SeriesDescription = f"bench visit {visit} 300x512x512"
            ds.InstanceNumber = k + 1
            ds.ImagePositionPatient = [-200, -200, f"{z0 + 1.25 * k:.2f}"]
            ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
            ds.PixelSpacing = [0.78125, 0.78125]
            ds.SliceThickness = 1.25
            ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
            ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
            ds.Rows, ds.Columns = ROWS, COLS
            ds.BitsAllocated, ds.BitsStored = 16, 12
            ds.HighBit, ds.PixelRepresentation = 11, 0
            ds.PixelData = px.tobytes()
            ds.save_as(sub / f"{k:05d}.dcm", enforce_file_format=True)
    done.write_text("ok")
    return folder


# --- drawing ------------------------------------------------------------------


class _Frames:
    """Count the canvas's draw events; :meth:`draw` waits for the next one."""

    def __init__(self, viewer: Any) -> None:
        from qtpy.QtWidgets import QApplication

        self.app = QApplication.instance()
        self.canvas = viewer.window._qt_viewer.canvas._scene_canvas
        self.n = 0
        self.canvas.events.draw.connect(self._count)

    def _count(self, _event: Any) -> None:
        self.n += 1

    def draw(self) -> None:
        """Process events until the canvas has drawn a new frame."""
        n0 = self.n
        self.canvas.update()
        deadline = time.perf_counter() + 30
        while self.n == n0 and time.perf_counter() < deadline:
            self.app.processEvents()


def _viewer() -> Any:
    import napari

    viewer = napari.Viewer(show=True)
    qt = viewer.window._qt_viewer
    # the same canvas size for every viewer: docks hidden, window sized to it
    for dock in (qt.dockLayerControls, qt.dockLayerList):
        dock.setVisible(False)
    qt.canvas.native.setFixedSize(*CANVAS_PX)
    _settle()
    return viewer


def _settle() -> None:
    from qtpy.QtWidgets import QApplication

    for _ in range(3):
        QApplication.processEvents()
        time.sleep(0.02)


def renderer(viewer: Any) -> str:
    """The OpenGL renderer string of a viewer's canvas (e.g. llvmpipe)."""
    from vispy.gloo import gl

    canvas = viewer.window._qt_viewer.canvas._scene_canvas
    canvas.set_current()
    try:
        return str(gl.glGetParameter(gl.GL_RENDERER))
    except Exception as exc:  # a missing GL function is not a benchmark failure
        return f"unknown ({exc})"


def _per_step(frames: _Frames, step: Any) -> float:
    """Median seconds of ``step(i)`` + one drawn frame over ``STEPS`` steps."""
    times = []
    for i in range(STEPS):
        t0 = time.perf_counter()
        step(i)
        frames.draw()
        times.append(time.perf_counter() - t0)
    return statistics.median(times[2:])


def _slice_stepper(viewer: Any, start_mm: float) -> Any:
    def step(i: int) -> None:
        point = list(viewer.dims.point)
        point[0] = start_mm - 1.25 * i
        viewer.dims.point = point

    return step


def _window_stepper(layers: list[Any]) -> Any:
    def step(i: int) -> None:
        lo, hi = (-160.0 - 5 * (i % 7), 240.0 + 7 * (i % 5))
        for layer in layers:
            layer.contrast_limits = (lo, hi)

    return step


# --- the measurements -----------------------------------------------------------


def _plain(volumes: list[Any], *, grid: bool) -> dict[str, float]:
    """A plain napari viewer showing the volume(s): step and W/L, drawn."""
    from viewer._coords import layer_affine

    viewer = _viewer()
    frames = _Frames(viewer)
    layers = [
        viewer.add_image(
            v.array,
            affine=layer_affine(v.geometry),
            colormap="gray",
            contrast_limits=(-160, 240),
            interpolation2d="linear",
        )
        for v in volumes
    ]
    viewer.canvas.grid.enabled = grid
    viewer.reset_view()
    frames.draw()
    mid = float(viewer.dims.point[0])
    out = {
        "step": _per_step(frames, _slice_stepper(viewer, mid)),
        "window": _per_step(frames, _window_stepper(layers)),
    }
    viewer.close()
    return out


def _workstation(folder: Path, *, side_by_side: bool) -> dict[str, float]:
    from viewer._workstation import Workstation

    viewer = _viewer()
    frames = _Frames(viewer)
    ws = Workstation.open(viewer, folder, reading=_reading_path())
    if side_by_side:
        ws.show_timepoint(1)
        ws.set_side_by_side(True)
    frames.draw()
    mid = float(viewer.dims.point[0])
    out = {
        "step": _per_step(frames, _slice_stepper(viewer, mid)),
        "window": _per_step(frames, _window_stepper(ws._visible_images())),
    }
    viewer.close()
    return out


def _reading_path() -> Path:
    """A fresh reading file (the workstation would otherwise reuse $RECIST_HOME)."""
    d = Path(tempfile.mkdtemp(prefix="recist-bench-viewer-"))
    return d / "reading.json"


def _open_time(folder: Path) -> tuple[float, Any]:
    """Seconds from ``Workstation.open`` to its first frame drawn."""
    from viewer._workstation import Workstation

    viewer = _viewer()
    frames = _Frames(viewer)
    frames.draw()
    t0 = time.perf_counter()
    ws = Workstation.open(viewer, folder, reading=_reading_path())
    frames.draw()
    return time.perf_counter() - t0, (viewer, ws)


def _read_and_frame(folder: Path) -> tuple[float, float]:
    """Seconds to read both studies' DICOM, and to show one volume in plain napari."""
    from recist.dicom import read_volume
    from viewer._coords import layer_affine
    from viewer._studies import find_studies

    t0 = time.perf_counter()
    studies = find_studies(folder)
    vols = [read_volume(s.default) for s in studies]
    read = time.perf_counter() - t0
    viewer = _viewer()
    frames = _Frames(viewer)
    frames.draw()
    t0 = time.perf_counter()
    viewer.add_image(
        vols[0].array,
        affine=layer_affine(vols[0].geometry),
        colormap="gray",
        contrast_limits=(-160, 240),
        interpolation2d="linear",
    )
    frames.draw()
    frame = time.perf_counter() - t0
    viewer.close()
    return read, frame


def _layer_bytes(viewer: Any) -> tuple[int, int, list[str]]:
    """Bytes held by the layers' arrays; layer count; names of all-zero big arrays."""
    total, empty = 0, []
    seen: set[int] = set()
    for layer in viewer.layers:
        data = layer.data
        if isinstance(data, np.ndarray) and data.size > 1:
            if id(data) not in seen:  # the same array in two layers counts once
                seen.add(id(data))
                total += data.nbytes
            if data.size >= ROWS * COLS and not data.any():
                empty.append(layer.name)
    return total, len(viewer.layers), empty


def main() -> None:
    """Print times, ratios to plain napari, the open time and the memory held."""
    from viewer._cli import ensure_display

    xvfb = ensure_display()
    try:
        _main()
    finally:
        if xvfb is not None:
            xvfb.stop()


def _main() -> None:
    from recist.dicom import read_volume
    from viewer._studies import find_studies

    t0 = time.perf_counter()
    folder = make_patient()
    made = time.perf_counter() - t0
    os.environ.setdefault("RECIST_HOME", tempfile.mkdtemp(prefix="recist-home-"))
    vols = [read_volume(s.default) for s in find_studies(folder)]  # warm the cache
    vol_mib = sum(v.array.nbytes for v in vols) / 2**20
    print(
        f"patient: 2 studies x {N_SLICES} x {ROWS} x {COLS} int16 ({vol_mib:.0f} MiB) "
        f"in {folder} (ready in {made:.1f} s); {os.cpu_count()} CPUs; "
        f"canvas {CANVAS_PX[0]} x {CANVAS_PX[1]} px; median of {STEPS - 2} steps"
    )
    # open: the first one warms imports, shaders and the page cache
    first, (v0, _ws) = _open_time(folder)
    print(f"renderer: {renderer(v0)}")
    v0.close()
    gc.collect()
    warm, (v1, _ws1) = _open_time(folder)
    held, n_layers, empty = _layer_bytes(v1)
    v1.close()
    gc.collect()
    read, frame = _read_and_frame(folder)
    plain1 = _plain(vols[:1], grid=False)
    plain2 = _plain(vols, grid=True)
    ours1 = _workstation(folder, side_by_side=False)
    ours2 = _workstation(folder, side_by_side=True)

    print(f"{'':<34}{'plain ms':>10}{'recist ms':>11}{'ratio':>8}{'target':>8}")
    rows = [
        ("slice step, one pane", plain1["step"], ours1["step"]),
        ("slice step, side by side", plain2["step"], ours2["step"]),
        ("window/level, one pane", plain1["window"], ours1["window"]),
        ("window/level, side by side", plain2["window"], ours2["window"]),
    ]
    for name, p, o in rows:
        print(f"{name:<34}{p * 1e3:10.1f}{o * 1e3:11.1f}{o / p:8.2f}{'<= 1.3':>8}")
    fps = 1.0 / ours2["step"]
    print(
        f"side-by-side slice stepping: {fps:.1f} fps (plain napari grid: "
        f"{1.0 / plain2['step']:.1f} fps)"
    )
    budget = read + frame
    print(
        f"open 2 studies to first frame: {warm:.2f} s warm ({first:.2f} s first in "
        f"process); read DICOM {read:.2f} s + plain-napari frame {frame:.2f} s = "
        f"{budget:.2f} s; ratio {warm / budget:.2f} (target <= 2, and <= 3 s)"
    )
    print(
        f"memory: {n_layers} layers hold {held / 2**20:.0f} MiB for "
        f"{vol_mib:.0f} MiB of volumes ({held / 2**20 / vol_mib:.2f}x); "
        f"all-zero full-size buffers: {', '.join(empty) or 'none'}"
    )
