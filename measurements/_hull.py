"""Convex hulls and farthest pairs of points (exact, O(n log n)).

Implementation details of :mod:`measurements.diameters` and :mod:`measurements.lesion`:

- :func:`convex_hull_2d`: Andrew's monotone chain (sort + two linear scans);
- :func:`farthest_pair_2d`: rotating calipers over the hull's antipodal vertex
  pairs (Shamos 1978), O(h) after the hull;
- :func:`farthest_pair`: 2-D as above; 3-D via Qhull (``scipy.spatial.ConvexHull``)
  and an exhaustive search over the hull's vertices (exact; hull vertices of a
  digitised lesion surface number in the hundreds), falling back to the 2-D
  method inside the points' plane when they are coplanar.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["convex_hull_2d", "farthest_pair", "farthest_pair_2d"]

FloatArray = npt.NDArray[np.float64]


def _cross(o: FloatArray, a: FloatArray, b: FloatArray) -> float:
    return float((a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]))


def convex_hull_2d(points: npt.ArrayLike) -> FloatArray:
    """Return the convex hull of 2-D points, counter-clockwise, no collinear points.

    Parameters
    ----------
    points : array_like, shape (n, 2)
        Any finite points; duplicates are allowed.

    Returns
    -------
    ndarray, shape (h, 2)
        Hull vertices in counter-clockwise order (for axes (a, b) as x, y); one
        point if all points coincide, two if they are collinear.

    Examples
    --------
    >>> convex_hull_2d([[0, 0], [2, 0], [1, 1], [2, 2], [0, 2], [1, 0]]).tolist()
    [[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]]
    """
    pts = np.unique(np.asarray(points, dtype=np.float64).reshape(-1, 2), axis=0)
    if len(pts) <= 2:
        return pts
    lower: list[FloatArray] = []
    for p in pts:
        while len(lower) >= 2 and _cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[FloatArray] = []
    for p in pts[::-1]:
        while len(upper) >= 2 and _cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    hull = np.array(lower[:-1] + upper[:-1], dtype=np.float64)
    if len(hull) < 2:  # all points collinear and the chain collapsed
        return np.array([pts[0], pts[-1]], dtype=np.float64)
    return hull


def farthest_pair_2d(hull: FloatArray) -> tuple[int, int]:
    """Return indices of the farthest pair of vertices of a convex polygon.

    Parameters
    ----------
    hull : ndarray, shape (h, 2)
        Vertices in counter-clockwise order without collinear triples, as
        returned by :func:`convex_hull_2d`.

    Returns
    -------
    (int, int)
        Indices ``i, j`` into ``hull`` maximising ``|hull[i] - hull[j]|``.

    Notes
    -----
    Rotating calipers: for each edge ``(i, i+1)`` the vertex ``j`` farthest from
    its line is advanced monotonically; the diameter is attained at one of the
    antipodal pairs so visited (each checked with both edge ends, and with
    ``j + 1`` for parallel edges).
    """
    n = len(hull)
    if n == 1:
        return (0, 0)
    if n == 2:
        return (0, 1)
    best = (-1.0, 0, 0)

    def consider(a: int, b: int) -> None:
        nonlocal best
        d = hull[a] - hull[b]
        d2 = float(d[0] * d[0] + d[1] * d[1])
        if d2 > best[0]:
            best = (d2, a, b)

    j = 1
    for i in range(n):
        i2 = (i + 1) % n
        while _cross(hull[i], hull[i2], hull[(j + 1) % n]) > _cross(
            hull[i], hull[i2], hull[j]
        ):
            j = (j + 1) % n
        for k in (i, i2):
            consider(k, j)
            consider(k, (j + 1) % n)
    return (best[1], best[2])


def farthest_pair(points: npt.ArrayLike) -> tuple[FloatArray, FloatArray, float]:
    """Return the two points farthest apart and their distance (exact).

    Parameters
    ----------
    points : array_like, shape (n, 2) or (n, 3)
        Finite points, n >= 1, in a Euclidean frame (e.g. mm).

    Returns
    -------
    p, q : ndarray, shape (d,)
        The farthest pair (``p`` precedes ``q`` lexicographically).
    distance : float
        ``|p - q|``.

    Examples
    --------
    >>> p, q, d = farthest_pair([[0, 0], [3, 4], [1, 1]])
    >>> p.tolist(), q.tolist(), d
    ([0.0, 0.0], [3.0, 4.0], 5.0)
    """
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] not in (2, 3) or len(pts) == 0:
        msg = f"points must have shape (n, 2) or (n, 3) with n >= 1, got {pts.shape}"
        raise ValueError(msg)
    if not np.all(np.isfinite(pts)):
        msg = "points must be finite"
        raise ValueError(msg)
    if pts.shape[1] == 2:
        hull = convex_hull_2d(pts)
        i, j = farthest_pair_2d(hull)
        p, q = hull[i], hull[j]
    else:
        p, q = _farthest_pair_3d(pts)
    if tuple(q) < tuple(p):
        p, q = q, p
    return p.copy(), q.copy(), float(np.linalg.norm(q - p))


def _farthest_pair_3d(pts: FloatArray) -> tuple[FloatArray, FloatArray]:
    from scipy.spatial import ConvexHull, QhullError

    pts = np.unique(pts, axis=0)
    if len(pts) == 1:
        return pts[0], pts[0]
    centred = pts - pts.mean(axis=0)
    _, sv, vt = np.linalg.svd(centred, full_matrices=False)
    scale = max(float(sv[0]), 1e-300)
    cand: FloatArray
    if len(pts) < 4 or sv[2] <= 1e-12 * scale:  # coplanar: hull in their plane
        plane = centred @ vt[:2].T
        hull = convex_hull_2d(plane)
        i, j = farthest_pair_2d(hull)
        # map the hull vertices back to the original points
        idx = [int(np.argmin(np.sum((plane - hull[k]) ** 2, axis=1))) for k in (i, j)]
        return pts[idx[0]], pts[idx[1]]
    try:
        cand = pts[ConvexHull(pts).vertices]
    except QhullError:  # pragma: no cover - defensive, near-degenerate input
        cand = pts
    return _brute_force_pair(cand)


def _brute_force_pair(cand: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Exhaustive farthest pair, in blocks to bound memory."""
    best, bi, bj = -1.0, 0, 0
    block = max(1, 4_000_000 // max(len(cand), 1))
    for start in range(0, len(cand), block):
        chunk = cand[start : start + block]
        d2 = np.sum((chunk[:, None, :] - cand[None, :, :]) ** 2, axis=-1)
        k = int(np.argmax(d2))
        r, c = divmod(k, len(cand))
        if d2[r, c] > best:
            best, bi, bj = float(d2[r, c]), start + r, c
    return cand[bi], cand[bj]
