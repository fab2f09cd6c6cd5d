// The C face of Clipper 6.4 for PlanClipper: paths in, PolyTree flattened to polygons out.
#include "clipper_shim.h"
#include <polyclipping/clipper.hpp>
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <vector>

using namespace ClipperLib;

/// A box on the grid (cells, inclusive): the region an operation's result lies in.
struct Box {
    cInt x0, y0, x1, y1;
};

/// Which of the box's four outer open half-planes (left, right, below, above) `p` lies in.
static inline unsigned outside_code(const IntPoint &p, const Box &box) {
    return unsigned(p.X < box.x0) | unsigned(p.X > box.x1) << 1 | unsigned(p.Y < box.y0) << 2 | unsigned(p.Y > box.y1) << 3;
}

/// True when the triangle a, b, c lies in one of the box's outer half-planes: then dropping b
/// changes the ring only there, and every winding number inside the box stays as it was.
static inline bool culls(const IntPoint &a, const IntPoint &b, const IntPoint &c, const Box &box) {
    return (outside_code(a, box) & outside_code(b, box) & outside_code(c, box)) != 0;
}

/// `path` without the vertices whose triangle with their neighbours lies beyond one side of
/// `box`, removed one at a time. Every winding number inside the box is unchanged, so an
/// operation whose result lies in the box gives the same polygons from fewer edges; the kept
/// vertices are input vertices (nothing is moved or rounded). A ring that ends with fewer than
/// three vertices lay beyond one side and is emptied.
static void cull(Path &path, const Box &box) {
    size_t kept = 0;
    for (size_t i = 0; i < path.size(); ++i) {
        path[kept++] = path[i];
        while (kept >= 3 && culls(path[kept - 3], path[kept - 2], path[kept - 1], box)) {
            path[kept - 2] = path[kept - 1];
            --kept;
        }
    }
    // The ring is closed: try the vertices next to where it was cut open.
    size_t first = 0;
    for (bool changed = true; changed && kept - first >= 3;) {
        changed = false;
        if (culls(path[kept - 2], path[kept - 1], path[first], box)) { --kept; changed = true; }
        else if (kept - first >= 3 && culls(path[kept - 1], path[first], path[first + 1], box)) { ++first; changed = true; }
    }
    if (kept - first < 3) { path.clear(); return; }
    path.erase(path.begin() + kept, path.end());
    path.erase(path.begin(), path.begin() + first);
}

/// The bounding box of `rings` (an empty box when there are none).
static Box bounds(pc_rings rings) {
    Box box{INT64_MAX, INT64_MAX, INT64_MIN, INT64_MIN};
    size_t points = 0;
    for (size_t r = 0; r < rings.ring_count; ++r) points += rings.ring_sizes[r];
    for (size_t i = 0; i < points; ++i) {
        box.x0 = std::min<cInt>(box.x0, rings.xy[2 * i]);
        box.x1 = std::max<cInt>(box.x1, rings.xy[2 * i]);
        box.y0 = std::min<cInt>(box.y0, rings.xy[2 * i + 1]);
        box.y1 = std::max<cInt>(box.y1, rings.xy[2 * i + 1]);
    }
    return box;
}

/// Twice the signed area (cells²) of `n` points `xy` (x, y, …), exact.
static __int128 twice_area(const int64_t *xy, size_t n) {
    __int128 sum = 0;
    for (size_t i = 0, j = n - 1; i < n; j = i++) sum += __int128(xy[2 * j]) * xy[2 * i + 1] - __int128(xy[2 * i]) * xy[2 * j + 1];
    return sum;
}

/// Twice the area of `rings` (shells counter-clockwise, holes clockwise: each ring's signed
/// area counts with its sign).
static __int128 twice_area(pc_rings rings) {
    __int128 sum = 0;
    const int64_t *p = rings.xy;
    for (size_t r = 0; r < rings.ring_count; p += 2 * rings.ring_sizes[r], ++r) {
        if (rings.ring_sizes[r] >= 3) sum += twice_area(p, rings.ring_sizes[r]);
    }
    return sum;
}

/// True when `result`'s area equals `subject`'s exactly. Clipper gives shells counter-clockwise
/// and holes clockwise, as the subject's rings are, so signed sums compare.
static bool keeps_area(const pc_result &result, pc_rings subject) {
    __int128 area = 0;
    const int64_t *p = result.xy;
    for (size_t r = 0; r < result.ring_count; p += 2 * result.ring_sizes[r], ++r) {
        if (result.ring_sizes[r] >= 3) area += twice_area(p, result.ring_sizes[r]);
    }
    return area == twice_area(subject);
}

/// `rings` as Clipper paths in `paths`, whose vectors keep their capacity from call to call;
/// culled to `box` when one is given.
static void to_paths(pc_rings rings, Paths &paths, const Box *box) {
    paths.resize(rings.ring_count);
    const int64_t *p = rings.xy;
    for (size_t r = 0; r < rings.ring_count; ++r) {
        paths[r].clear();
        paths[r].reserve(rings.ring_sizes[r]);
        for (size_t i = 0; i < rings.ring_sizes[r]; ++i, p += 2) paths[r].push_back(IntPoint(p[0], p[1]));
        if (box) cull(paths[r], *box);
    }
}

/// One thread's Clipper, result tree and input paths, reused from one operation to the next
/// (their vectors keep their capacity); made anew after an operation that failed.
struct Workspace {
    // Collinear vertices stay: in a lon/lat CRS the edges are geodesics, so a vertex on a
    // straight line in degrees still changes the ellipsoidal area. Strictly simple output:
    // without it, rings that touch themselves at a vertex come out, which GEOS calls invalid
    // (2 of the sample district's operations fell back to GEOS; none with it).
    Clipper clipper{ioPreserveCollinear | ioStrictlySimple};
    PolyTree tree;
    Paths subject, clip;
    /// The culled paths flattened, for the disjointness test of an empty intersection.
    std::vector<int64_t> subject_xy, clip_xy;
    std::vector<size_t> subject_sizes, clip_sizes;
};

static thread_local std::unique_ptr<Workspace> workspace;

/// Flattens `paths` (those of three points or more) into `xy` and `sizes`; false when one of
/// them has no area (it could lie inside the other side with no edge near it, and the
/// intersection would still be empty).
static bool flatten_paths(const Paths &paths, std::vector<int64_t> &xy, std::vector<size_t> &sizes) {
    xy.clear();
    sizes.clear();
    for (const Path &path : paths) {
        if (path.size() < 3) continue;
        const size_t start = xy.size();
        for (const IntPoint &p : path) { xy.push_back(p.X); xy.push_back(p.Y); }
        if (twice_area(xy.data() + start, path.size()) == 0) return false;
        sizes.push_back(path.size());
    }
    return true;
}

/// True when the culled subject and clip of an empty intersection are certainly apart, so the
/// inputs are disjoint and do not even touch. The argument: every input vertex is within half a
/// cell (plus the rounding of computing its cell) of its cell, less than the one-cell margin; a
/// point where the unrounded inputs met would lie within half a cell of the envelopes' overlap,
/// where culling (the box is two cells wider) removed nothing, so two edges of the culled rings
/// would come within the margin of each other there. Apart edges and an empty intersection also
/// rule out one input lying inside the other (that would have area on the grid).
static bool culled_apart(Workspace &w) {
    if (!flatten_paths(w.subject, w.subject_xy, w.subject_sizes) || !flatten_paths(w.clip, w.clip_xy, w.clip_sizes)) return false;
    const size_t edges = w.subject_xy.size() / 2 + w.clip_xy.size() / 2;
    return pc_rings_certainly_apart(w.subject_xy.data(), w.subject_sizes.data(), w.subject_sizes.size(), w.clip_xy.data(),
                                    w.clip_sizes.data(), w.clip_sizes.size(), 1, 16 * edges + 256) == 1;
}

/// Outer nodes start polygons; their children are holes; a hole's children are outers again.
static void flatten(const PolyNode &outer, std::vector<const Path *> &rings, std::vector<int32_t> &owner, int32_t &polygon) {
    int32_t self = polygon++;
    rings.push_back(&outer.Contour);
    owner.push_back(self);
    for (const PolyNode *hole : outer.Childs) {
        rings.push_back(&hole->Contour);
        owner.push_back(self);
        for (const PolyNode *island : hole->Childs) flatten(*island, rings, owner, polygon);
    }
}

static void copy_message(const char *text, char *message, size_t capacity) {
    if (capacity == 0) return;
    std::strncpy(message, text, capacity - 1);
    message[capacity - 1] = 0;
}

extern "C" int pc_execute(pc_operation operation, pc_rings subject, pc_rings clip, pc_result *out,
                          char *message, size_t message_capacity) {
    *out = pc_result{};
    try {
        if (!workspace) workspace.reset(new Workspace());
        Clipper &clipper = workspace->clipper;
        PolyTree &tree = workspace->tree;
        clipper.Clear();
        // The result lies in the subject's box (and, for an intersection, in the clip's too):
        // edges beyond it cannot reach the result, so they are culled before Clipper sees them.
        // The box is widened by two cells, so that the culled rings are the rings themselves
        // wherever the inputs' unrounded coordinates could meet (see `certainly_disjoint`).
        Box box = bounds(subject);
        if (operation == pc_intersection) {
            Box other = bounds(clip);
            box = Box{std::max(box.x0, other.x0), std::max(box.y0, other.y0), std::min(box.x1, other.x1), std::min(box.y1, other.y1)};
        }
        box = Box{box.x0 - 2, box.y0 - 2, box.x1 + 2, box.y1 + 2};
        const Box *culling = operation == pc_union ? nullptr : &box;
        to_paths(subject, workspace->subject, operation == pc_intersection ? culling : nullptr);
        to_paths(clip, workspace->clip, culling);
        const bool subject_edges = clipper.AddPaths(workspace->subject, ptSubject, true);
        const bool clip_edges = clipper.AddPaths(workspace->clip, ptClip, true);
        // Clipper's Execute fails when it has no edges at all; nothing left of the subject (or,
        // for an intersection, of either side) after culling is an empty result.
        if (!subject_edges || (operation == pc_intersection && !clip_edges)) {
            out->keeps_subject_area = operation == pc_difference && twice_area(subject) == 0;
            out->certainly_disjoint = operation == pc_intersection && culled_apart(*workspace);
            return 0;
        }
        if (!clipper.Execute(static_cast<ClipType>(operation), tree, pftEvenOdd, pftNonZero)) {
            workspace.reset();
            copy_message("Clipper::Execute returned false", message, message_capacity);
            return 2;
        }
        std::vector<const Path *> rings;
        std::vector<int32_t> owner;
        int32_t polygon = 0;
        for (const PolyNode *top : tree.Childs) flatten(*top, rings, owner, polygon);
        size_t points = 0;
        for (const Path *ring : rings) points += ring->size();
        out->ring_count = rings.size();
        out->point_count = points;
        out->xy = static_cast<int64_t *>(std::malloc(sizeof(int64_t) * 2 * (points ? points : 1)));
        out->ring_sizes = static_cast<size_t *>(std::malloc(sizeof(size_t) * (rings.size() ? rings.size() : 1)));
        out->ring_polygon = static_cast<int32_t *>(std::malloc(sizeof(int32_t) * (rings.size() ? rings.size() : 1)));
        if (!out->xy || !out->ring_sizes || !out->ring_polygon) throw std::bad_alloc();
        int64_t *p = out->xy;
        for (size_t r = 0; r < rings.size(); ++r) {
            out->ring_sizes[r] = rings[r]->size();
            out->ring_polygon[r] = owner[r];
            for (const IntPoint &q : *rings[r]) { *p++ = q.X; *p++ = q.Y; }
        }
        out->keeps_subject_area = operation == pc_difference && keeps_area(*out, subject);
        out->certainly_disjoint = operation == pc_intersection && rings.empty() && culled_apart(*workspace);
        return 0;
    } catch (const std::exception &e) {
        workspace.reset();
        pc_result_free(out);
        copy_message(e.what(), message, message_capacity);
        return 1;
    } catch (...) {
        workspace.reset();
        pc_result_free(out);
        copy_message("unknown C++ exception", message, message_capacity);
        return 1;
    }
}

extern "C" const char *pc_version(void) { return CLIPPER_VERSION; }

extern "C" void pc_result_free(pc_result *result) {
    std::free(result->xy);
    std::free(result->ring_sizes);
    std::free(result->ring_polygon);
    *result = pc_result{};
}
