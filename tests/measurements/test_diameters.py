"""Long/short axes against independent oracles: brute force over all outline pairs,
analytic shapes, and geometric properties checked with matplotlib's point-in-polygon."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from matplotlib.path import Path
from scipy.spatial import ConvexHull
from skimage.measure import find_contours

from measurements import (
    EmptyMaskError,
    MeasurementError,
    bidirectional,
    caliper_mm,
    long_axis,
    long_axis_of_polygon,
)
from measurements._hull import convex_hull_2d, farthest_pair


def brute_force_long_mm(mask, spacing):
    """Oracle: all pairs of outline vertices, straight from skimage (no hull)."""
    pts = np.concatenate(find_contours(np.pad(mask, 1).astype(float), 0.5)) - 1
    mm = pts * np.asarray(spacing)
    d2 = ((mm[:, None, :] - mm[None, :, :]) ** 2).sum(-1)
    return math.sqrt(d2.max())


def disc(r, pad=3):
    n = 2 * int(r) + 1 + 2 * pad
    c = n // 2
    yy, xx = np.mgrid[:n, :n]
    return (yy - c) ** 2 + (xx - c) ** 2 <= r * r


def ellipse(a, b, theta, n=None):
    n = n or int(2 * max(a, b) + 9)
    c = (n - 1) / 2
    yy, xx = np.mgrid[:n, :n].astype(float)
    y, x = yy - c, xx - c
    ct, st_ = math.cos(theta), math.sin(theta)
    u, v = x * ct + y * st_, -x * st_ + y * ct
    return (u / a) ** 2 + (v / b) ** 2 <= 1


RNG = np.random.default_rng(20260401)
RANDOM_MASKS = [
    RNG.random((n, m)) < p for n, m, p in [(12, 9, 0.5), (20, 20, 0.3), (7, 30, 0.7)]
]


# ----------------------------------------------------------------- caliper
@pytest.mark.parametrize(
    ("p0", "p1", "spacing", "expected"),
    [
        pytest.param((0, 0), (3, 4), (1, 1), 5.0, id="3-4-5"),
        pytest.param((0, 0), (3, 4), (2, 0.5), math.hypot(6, 2), id="aniso-6-2"),
        pytest.param((1, 1, 1), (2, 3, 5), (2, 1, 0.25), 3.0, id="3d-2-2-1"),
    ],
)
def test_caliper_mm(p0, p1, spacing, expected):
    assert caliper_mm(p0, p1, spacing) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("spacing", [(math.nan, 1), (0, 1), (1, -1), (1,), (1, 1, 1)])
def test_bad_spacing_is_rejected(spacing):
    with pytest.raises(MeasurementError, match="spacing"):
        long_axis(np.ones((2, 2), bool), spacing)
    with pytest.raises(ValueError, match="spacing"):
        caliper_mm((0, 0), (1, 1), spacing)


def test_empty_mask_raises():
    with pytest.raises(EmptyMaskError):
        long_axis(np.zeros((5, 5), bool), (1, 1))
    with pytest.raises(EmptyMaskError):
        bidirectional(np.zeros((5, 5), bool), (1, 1))


@pytest.mark.parametrize(("sr", "sc"), [(1.0, 1.0), (0.7, 0.5), (0.5, 2.0)])
def test_single_pixel_is_its_diamond(sr, sc):
    # outline = diamond through the 4 edge mid-points: diagonals 1 row and 1 column
    bd = bidirectional(np.ones((1, 1), bool), (sr, sc))
    assert bd.long.length_mm == pytest.approx(max(sr, sc))
    assert bd.short.length_mm == pytest.approx(min(sr, sc))


def test_mask_touching_border_equals_padded_mask():
    m = RANDOM_MASKS[0]
    a = long_axis(m, (0.8, 0.6))
    b = long_axis(np.pad(m, 4), (0.8, 0.6))
    assert a.length_mm == pytest.approx(b.length_mm, abs=1e-12)
    np.testing.assert_allclose(np.sort(a.endpoints + 4, 0), np.sort(b.endpoints, 0))


# ------------------------------------------------------------ brute force
SHAPES = {
    "disc-r1": disc(1),
    "disc-r7": disc(7),
    "disc-r20": disc(20),
    "ellipse-rot": ellipse(18, 6, 0.6),
    "ring": disc(12) & ~np.pad(disc(6), 6),
    "two-blobs": np.hstack([disc(3), np.zeros((13, 5), bool), disc(3)]),
    "line": np.ones((1, 17), bool),
    "diagonal": np.eye(9, dtype=bool),
    **{f"random-{i}": m for i, m in enumerate(RANDOM_MASKS)},
}


@pytest.mark.parametrize("spacing", [(1.0, 1.0), (0.703125, 0.703125), (2.5, 0.6)])
@pytest.mark.parametrize("name", sorted(SHAPES))
def test_long_axis_equals_brute_force(name, spacing):
    mask = SHAPES[name]
    ax = long_axis(mask, spacing)
    assert ax.length_mm == pytest.approx(brute_force_long_mm(mask, spacing), rel=1e-12)
    # the endpoints are the reported distance apart
    assert caliper_mm(*ax.endpoints, spacing) == pytest.approx(ax.length_mm, rel=1e-12)


@settings(max_examples=150, deadline=None)
@given(
    mask=arrays(bool, st.tuples(st.integers(1, 14), st.integers(1, 14))),
    sr=st.floats(0.2, 5.0),
    sc=st.floats(0.2, 5.0),
)
def test_long_axis_brute_force_hypothesis(mask, sr, sc):
    if not mask.any():
        with pytest.raises(EmptyMaskError):
            long_axis(mask, (sr, sc))
        return
    got = long_axis(mask, (sr, sc)).length_mm
    assert got == pytest.approx(brute_force_long_mm(mask, (sr, sc)), rel=1e-12)


@settings(max_examples=150, deadline=None)
@given(
    pts=arrays(
        float, st.tuples(st.integers(1, 40), st.just(2)), elements=st.integers(-50, 50)
    )
)
def test_farthest_pair_brute_force_hypothesis(pts):
    # integer coordinates: many collinear and duplicate points
    _, _, d = farthest_pair(pts)
    d2 = ((pts[:, None] - pts[None]) ** 2).sum(-1)
    assert d == pytest.approx(math.sqrt(d2.max()), abs=1e-12)


def test_hull_contains_all_points():
    pts = RNG.normal(size=(500, 2))
    hull = convex_hull_2d(pts)
    # the same corners as scipy's Qhull (an independent oracle), no other point
    corners = pts[ConvexHull(pts).vertices]
    assert sorted(map(tuple, hull)) == sorted(map(tuple, corners))
    # every other point lies strictly inside the closed hull polygon
    on_hull = (pts[:, None, :] == hull[None]).all(-1).any(1)
    assert on_hull.sum() == len(hull)
    closed = Path(np.vstack([hull, hull[:1]]), closed=True)
    assert closed.contains_points(pts[~on_hull]).all()
    # every point is on the inner side of every CCW edge
    e = np.roll(hull, -1, axis=0) - hull
    rel = pts[:, None, :] - hull[None]
    cross = e[None, :, 0] * rel[..., 1] - e[None, :, 1] * rel[..., 0]
    assert (cross >= -1e-12).all()


def test_farthest_pair_3d_matches_brute_force():
    pts = RNG.normal(size=(400, 3)) * [3, 1, 2]
    p, q, d = farthest_pair(pts)
    d2 = ((pts[:, None] - pts[None]) ** 2).sum(-1)
    assert d == pytest.approx(math.sqrt(d2.max()), rel=1e-12)
    assert np.linalg.norm(q - p) == pytest.approx(d)
    flat = (
        np.c_[RNG.normal(size=(50, 2)), np.zeros(50)]
        @ np.linalg.qr(RNG.normal(size=(3, 3)))[0]
    )
    _, _, d = farthest_pair(flat)  # coplanar: falls back to the 2-D method
    d2 = ((flat[:, None] - flat[None]) ** 2).sum(-1)
    assert d == pytest.approx(math.sqrt(d2.max()), rel=1e-9)


# ------------------------------------------------------------- analytic
@pytest.mark.parametrize("r", [2, 5, 10, 25, 60])
def test_disc_diameter_is_2r_plus_one_pixel(r):
    # the digital disc of radius r spans 2r+1 pixels on its axes, its outline
    # 2r+1 px between the outer edge mid-points; no chord can exceed 2r + 1
    # (every outline vertex is within r + 0.5 of the centre)
    bd = bidirectional(disc(r), (0.5, 0.5))
    assert bd.long.length_mm == pytest.approx((2 * r + 1) * 0.5, abs=1e-9)
    assert (2 * r + 1) * 0.5 - 0.5 <= bd.short.length_mm <= bd.long.length_mm


@pytest.mark.parametrize("theta", [0.0, 0.3, math.pi / 4, 1.2])
def test_rotated_ellipse_axes(theta):
    a, b = 30.0, 12.0  # semi-axes in pixels
    bd = bidirectional(ellipse(a, b, theta), (1.0, 1.0))
    # the outline lies within half a pixel (one pixel diagonal-ish) of the ellipse
    assert abs(bd.long.length_mm - 2 * a) <= 1.0
    assert abs(bd.short.length_mm - 2 * b) <= 1.0
    d = bd.long.endpoints[1] - bd.long.endpoints[0]
    angle = math.atan2(d[0], d[1]) % math.pi  # row = y
    # the tips may slide along the flat ends (radius of curvature b^2/a = 4.8 px)
    # for a sub-pixel change in length: about 0.07 rad over 60 px; allow 0.1
    assert min(abs(angle - theta), math.pi - abs(angle - theta)) < 0.1


def test_short_axis_on_a_rectangle_by_hand():
    # 10 x 40 px at (0.5, 0.5) mm: outline band rows -0.5..9.5; long axis joins the
    # cut corners (9, -0.5)-(0, 39.5): direction (-9, 40); a perpendicular chord
    # crosses the 10-row band: 10 * sqrt(9^2 + 40^2) / 40 rows = 10.25 px = 5.125 mm
    bd = bidirectional(np.ones((10, 40), bool), (0.5, 0.5))
    assert bd.long.length_mm == pytest.approx(0.5 * math.hypot(9, 40))
    assert bd.short.length_mm == pytest.approx(0.5 * 10 * math.hypot(9, 40) / 40)


# ---------------------------------------------------------- short-axis properties
def _inside(mask, pts):
    contours = find_contours(np.pad(mask, 1).astype(float), 0.5)
    inside = np.zeros(len(pts), int)
    for c in contours:
        inside += Path(c - 1).contains_points(pts, radius=0)
    return inside % 2 == 1


@pytest.mark.parametrize(
    "name", ["ellipse-rot", "ring", "random-1", "disc-r7", "two-blobs"]
)
@pytest.mark.parametrize("spacing", [(1.0, 1.0), (2.5, 0.6)])
def test_short_axis_properties(name, spacing):
    mask = SHAPES[name]
    bd = bidirectional(mask, spacing)
    sp = np.asarray(spacing)
    lu = (bd.long.endpoints[1] - bd.long.endpoints[0]) * sp
    su = (bd.short.endpoints[1] - bd.short.endpoints[0]) * sp
    assert abs(lu @ su) <= 1e-6 * np.linalg.norm(lu) * max(np.linalg.norm(su), 1)
    assert bd.short.length_mm <= bd.long.length_mm + 1e-9
    assert caliper_mm(*bd.short.endpoints, spacing) == pytest.approx(bd.short.length_mm)
    # the chord lies inside the outline (point-in-polygon by matplotlib, not our code)
    f = np.linspace(0.01, 0.99, 200)[:, None]
    pts = bd.short.endpoints[0] + f * (bd.short.endpoints[1] - bd.short.endpoints[0])
    assert _inside(mask, pts).all()
    # and no perpendicular chord found by dense sampling (independent) is longer
    assert bd.short.length_mm >= _sampled_short_mm(mask, sp, bd.long.endpoints) - 1e-6


def _sampled_short_mm(mask, sp, ends, n_t=300, n_w=1500):
    p, q = ends * sp
    L = np.linalg.norm(q - p)
    u = (q - p) / L
    v = np.array([-u[1], u[0]])
    big = L * 1.5
    ws = np.linspace(-big, big, n_w)
    best = 0.0
    for t in np.linspace(0, L, n_t):
        line = (p + t * u + ws[:, None] * v) / sp
        ins = _inside(mask, line)
        # longest run of inside samples
        run, longest = 0, 0
        for flag in ins:
            run = run + 1 if flag else 0
            longest = max(longest, run)
        best = max(best, (longest - 1) * (ws[1] - ws[0]))
    return best


# -------------------------------------------------------------- polygons
def test_polygon_same_as_mask_outline():
    mask = SHAPES["ellipse-rot"]
    sp = np.array([0.7, 1.3])
    poly = find_contours(np.pad(mask, 1).astype(float), 0.5)[0] - 1
    a = long_axis_of_polygon(poly * sp)
    assert a.length_mm == pytest.approx(long_axis(mask, sp).length_mm, rel=1e-12)


def test_polygon_in_lps_3d():
    # a 30 x 40 mm rectangle on an oblique plane: diagonal 50 mm
    rot = np.linalg.qr(RNG.normal(size=(3, 3)))[0]
    square = np.array([[0, 0, 0], [30, 0, 0], [30, 40, 0], [0, 40, 0]], float)
    ax = long_axis_of_polygon(square @ rot.T + [10, -20, 300])
    assert ax.length_mm == pytest.approx(50.0)


@pytest.mark.parametrize("pts", [np.zeros((0, 2)), [[0, np.nan]], np.zeros((3, 4))])
def test_polygon_bad_input(pts):
    with pytest.raises(MeasurementError):
        long_axis_of_polygon(pts)
