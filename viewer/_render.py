"""What a frame costs: keep shader programs built, draw no layer that holds nothing.

Profiling a slice step of the workstation (``python -m benchmarks viewer``, cProfile)
showed most of its time in relinking shader programs: vispy's ``MeshVisual``
builds a *new* colour-transform ``Function`` at every ``set_data``
(``vispy/visuals/mesh.py``, ``_build_color_transform``), which marks the program
changed, and napari's Shapes layer calls ``set_data`` on every slice.  With Mesa's
llvmpipe each relink costs about 13 ms, two to four per step.
:func:`keep_mesh_shaders` hands each mesh back its own pass-through transform
while the colours stay per-vertex (the only case napari's layers use), so the
program is built once.  The colormapped case (one value per vertex) is left to
vispy unchanged.

The workstation also keeps annotation layers with nothing in them hidden: napari
neither slices nor draws a hidden layer (:func:`show_if_filled`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["keep_mesh_shaders", "show_if_filled"]

_PATCHED = "_recist_keeps_colour_transform"


def keep_mesh_shaders() -> None:
    """Make vispy meshes reuse their pass-through colour transform (idempotent)."""
    from vispy.visuals.mesh import MeshVisual

    if getattr(MeshVisual, _PATCHED, False):
        return
    build = MeshVisual._build_color_transform

    def cached(self: Any, colors: Any) -> Any:
        if colors.ndim == 2 and colors.shape[1] == 1:  # colormapped values
            return build(self, colors)
        fun = self.__dict__.get(_PATCHED)
        if fun is None:
            fun = build(self, colors)
            self.__dict__[_PATCHED] = fun  # vispy visuals are frozen to setattr
        return fun

    MeshVisual._build_color_transform = cached
    setattr(MeshVisual, _PATCHED, True)


def show_if_filled(layer: Any, pane_visible: bool) -> None:
    """Show an annotation layer only when its pane shows and it holds something."""
    layer.visible = bool(pane_visible) and len(layer.data) > 0
