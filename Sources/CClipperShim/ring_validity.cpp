// A sufficient test of OGC validity, exact in an integer grid, for Clipper's results and for
// polygons read from a layer.
//
// Polygons pass when, on the grid and with a margin, every ring is simple, no two rings meet,
// each hole lies inside its own shell (and in no other hole of that polygon), and each shell
// lies outside every other polygon (or inside one of its holes). The margin covers the distance
// between each grid point and the point GEOS sees (for a Clipper result: the rounding of cell
// numbers to CRS coordinates; for an input polygon: the rounding of its coordinates to cells).
// Every sign decided here keeps its sign for every vertex moved by up to the margin, so GEOS,
// deciding on the doubles, sees the same topology. Touching rings, near-touching ones and
// spikes are not decided here (the caller asks GEOS).
#include "clipper_shim.h"
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

namespace {

typedef __int128 wide;

struct Point { int64_t x, y; };

/// One edge of a ring: from p to q, with its bounding box, its ring and its place in the ring.
struct Edge {
    Point p, q;
    int64_t min_x, max_x, min_y, max_y;
    size_t ring, index;
};

/// Twice the signed area of (a, b, c), exact.
inline wide orient(Point a, Point b, Point c) {
    return (wide(b.x) - a.x) * (wide(c.y) - a.y) - (wide(b.y) - a.y) * (wide(c.x) - a.x);
}

inline wide abs_wide(wide v) { return v < 0 ? -v : v; }

/// |b - a| in the L1 norm, exact.
inline wide l1(Point a, Point b) { return abs_wide(wide(b.x) - a.x) + abs_wide(wide(b.y) - a.y); }

/// True when |orient(a, b, c)| is larger than anything moving each point by `margin` cells
/// (`margin` a whole number of cells ≥ the rounding) could change, so its sign is certain.
inline int certain_sign(Point a, Point b, Point c, int64_t margin) {
    wide d = orient(a, b, c);
    wide bound = 2 * wide(margin) * (l1(a, b) + l1(a, c)) + 8 * wide(margin) * wide(margin);
    if (d > bound) return 1;
    if (d < -bound) return -1;
    return 0;
}

/// True when the two edges (not neighbours in a ring) are certainly apart.
bool certainly_apart(const Edge &e, const Edge &f, int64_t margin) {
    if (e.max_y + 2 * margin < f.min_y || f.max_y + 2 * margin < e.min_y) return true;
    if (e.max_x + 2 * margin < f.min_x || f.max_x + 2 * margin < e.min_x) return true;
    int s1 = certain_sign(e.p, e.q, f.p, margin), s2 = certain_sign(e.p, e.q, f.q, margin);
    if (s1 != 0 && s1 == s2) return true;
    int s3 = certain_sign(f.p, f.q, e.p, margin), s4 = certain_sign(f.p, f.q, e.q, margin);
    return s3 != 0 && s3 == s4;
}

/// True when the edges p→q and q→r of a ring certainly do not fold back on each other.
bool certainly_turns(Point p, Point q, Point r, int64_t margin) {
    if (certain_sign(p, q, r, margin) != 0) return true;
    // Nearly straight: fine when it goes on forward, by more than the margin can change.
    wide dot = (wide(q.x) - p.x) * (wide(r.x) - q.x) + (wide(q.y) - p.y) * (wide(r.y) - q.y);
    return dot > 2 * wide(margin) * (l1(p, q) + l1(q, r)) + 8 * wide(margin) * wide(margin);
}

/// Even-odd containment of `point` by a ring (the point is known to be off the ring).
bool inside(Point point, const int64_t *xy, size_t n) {
    bool in = false;
    for (size_t i = 0, j = n - 1; i < n; j = i++) {
        Point a{xy[2 * i], xy[2 * i + 1]}, b{xy[2 * j], xy[2 * j + 1]};
        if ((a.y > point.y) != (b.y > point.y)) {
            // Does the edge cross the horizontal ray to the right of the point?
            wide d = orient(a, b, point);
            if ((d > 0) == (b.y > a.y)) in = !in;
        }
    }
    return in;
}

}  // namespace

/// The most a cell number's conversion `origin + cell / cells_per_unit` can be off, in cells
/// (twice the spacing of doubles at the largest coordinate); infinity when cells are not exact
/// as doubles.
static double rounding_cells(const pc_result *result, double origin_magnitude, double cells_per_unit) {
    double largest = 0;
    for (size_t i = 0; i < 2 * result->point_count; ++i) largest = std::max(largest, std::fabs(double(result->xy[i])));
    if (largest > 4503599627370496.0) return INFINITY;  // 2^52
    const double coordinate = origin_magnitude + largest / cells_per_unit;
    return 2 * (std::nextafter(coordinate, INFINITY) - coordinate) * cells_per_unit;
}

/// The test on rings of cells (`xy` every ring in turn, no closing point; `ring_polygon[i]` the
/// polygon of ring i, each polygon's shell first) with every vertex allowed to move by up to
/// `margin` cells in x and in y. Gives up (0) after comparing `budget` pairs of edges.
static int rings_certainly_valid(const int64_t *all_xy, const size_t *ring_sizes, const int32_t *ring_polygon,
                                 size_t rings, int64_t margin_cells, size_t budget) {
    if (rings == 0) return 1;
    if (rings > 256) return 0;
    std::vector<size_t> start(rings);
    size_t points = 0;
    for (size_t r = 0; r < rings; ++r) points += ring_sizes[r];
    std::vector<Edge> edges;
    edges.reserve(points);
    size_t offset = 0;
    for (size_t r = 0; r < rings; ++r) {
        const size_t n = ring_sizes[r];
        if (n < 3) return 0;
        start[r] = offset;
        const int64_t *xy = all_xy + 2 * offset;
        for (size_t i = 0; i < n; ++i) {
            Point p{xy[2 * i], xy[2 * i + 1]};
            Point q{xy[2 * ((i + 1) % n)], xy[2 * ((i + 1) % n) + 1]};
            Point r2{xy[2 * ((i + 2) % n)], xy[2 * ((i + 2) % n) + 1]};
            if (!certainly_turns(p, q, r2, margin_cells)) return 0;
            edges.push_back(Edge{p, q, std::min(p.x, q.x), std::max(p.x, q.x), std::min(p.y, q.y),
                                 std::max(p.y, q.y), r, i});
        }
        offset += n;
    }
    // Every pair of edges that are not neighbours in one ring, swept by x.
    std::sort(edges.begin(), edges.end(), [](const Edge &a, const Edge &b) { return a.min_x < b.min_x; });
    size_t compared = 0;
    for (size_t i = 0; i < edges.size(); ++i) {
        const Edge &e = edges[i];
        for (size_t j = i + 1; j < edges.size() && edges[j].min_x <= e.max_x + 2 * margin_cells; ++j) {
            if (++compared > budget) return 0;
            const Edge &f = edges[j];
            if (e.ring == f.ring) {
                const size_t n = ring_sizes[e.ring];
                size_t gap = e.index > f.index ? e.index - f.index : f.index - e.index;
                if (gap == 1 || gap == n - 1) continue;  // neighbours: checked by certainly_turns
            }
            if (!certainly_apart(e, f, margin_cells)) return 0;
        }
    }
    // The rings are simple and apart, so they nest as a tree; its shape must match the polygons.
    std::vector<int> depth(rings, 0);
    std::vector<std::vector<size_t>> containers(rings);
    for (size_t r = 0; r < rings; ++r) {
        Point probe{all_xy[2 * start[r]], all_xy[2 * start[r] + 1]};
        for (size_t s = 0; s < rings; ++s) {
            if (s != r && inside(probe, all_xy + 2 * start[s], ring_sizes[s])) containers[r].push_back(s);
        }
        depth[r] = static_cast<int>(containers[r].size());
    }
    for (size_t r = 0; r < rings; ++r) {
        const bool shell = r == 0 || ring_polygon[r] != ring_polygon[r - 1];
        if (shell != (depth[r] % 2 == 0)) return 0;
        if (shell) continue;  // a shell inside another polygon sits in one of its holes (odd depth)
        // A hole's innermost container is the shell of its own polygon.
        size_t parent = rings;
        for (size_t s : containers[r]) if (depth[s] == depth[r] - 1) parent = s;
        if (parent == rings || ring_polygon[parent] != ring_polygon[r]) return 0;
        const bool parent_is_shell = parent == 0 || ring_polygon[parent] != ring_polygon[parent - 1];
        if (!parent_is_shell) return 0;
    }
    return 1;
}

extern "C" int pc_result_certainly_valid(const pc_result *result, double origin_magnitude, double cells_per_unit) {
    if (result->ring_count == 0) return 1;
    // One cell of margin, when the conversion moves a vertex by at most a quarter of one.
    if (!(rounding_cells(result, origin_magnitude, cells_per_unit) <= 0.25)) return 0;
    return rings_certainly_valid(result->xy, result->ring_sizes, result->ring_polygon, result->ring_count, 1, SIZE_MAX);
}

extern "C" int pc_polygons_certainly_valid(const double *xy, const size_t *ring_sizes, const int32_t *ring_polygon,
                                           size_t ring_count) {
    if (ring_count == 0 || ring_count > 256) return 0;
    size_t points = 0;
    for (size_t r = 0; r < ring_count; ++r) points += ring_sizes[r];
    // The largest |coordinate|, M, in [2^(e-1), 2^e); anything not finite or outside the range
    // where GEOS's double-double predicates are exact goes to GEOS.
    double largest = 0;
    for (size_t i = 0; i < 2 * points; ++i) {
        const double v = std::fabs(xy[i]);
        if (!(v <= 0x1p64)) return 0;  // also NaN and infinities
        largest = std::max(largest, v);
    }
    if (largest < 0x1p-64) return 0;
    int e = 0;
    std::frexp(largest, &e);
    // Cells of 2^(e-51), four times the spacing of doubles at M: x / cell = ldexp(x, 51 - e) is
    // exact (a power of two; below 2^51 in magnitude), so a cell number is off by at most half a
    // cell from the vertex it stands for (plus 2^-1074 should x / cell be subnormal).
    std::vector<int64_t> cells(2 * points);
    for (size_t i = 0; i < 2 * points; ++i) cells[i] = std::llround(std::ldexp(xy[i], 51 - e));
    // One cell of margin covers that half cell; a budget of edge pairs keeps a hostile ring (all
    // edges spanning the same x range) from costing more here than GEOS would.
    return rings_certainly_valid(cells.data(), ring_sizes, ring_polygon, ring_count, 1, 64 * points + 4096);
}

int pc_rings_certainly_apart(const int64_t *a_xy, const size_t *a_sizes, size_t a_rings, const int64_t *b_xy,
                             const size_t *b_sizes, size_t b_rings, int64_t margin_cells, size_t budget) {
    // Every edge of each side, tagged by its side (the `ring` field: 0 for a, 1 for b).
    std::vector<Edge> edges;
    auto add = [&edges](const int64_t *xy, const size_t *sizes, size_t rings, size_t side) {
        for (size_t r = 0; r < rings; xy += 2 * sizes[r], ++r) {
            const size_t n = sizes[r];
            for (size_t i = 0; i < n; ++i) {
                Point p{xy[2 * i], xy[2 * i + 1]}, q{xy[2 * ((i + 1) % n)], xy[2 * ((i + 1) % n) + 1]};
                edges.push_back(Edge{p, q, std::min(p.x, q.x), std::max(p.x, q.x), std::min(p.y, q.y), std::max(p.y, q.y), side, i});
            }
        }
    };
    add(a_xy, a_sizes, a_rings, 0);
    add(b_xy, b_sizes, b_rings, 1);
    std::sort(edges.begin(), edges.end(), [](const Edge &a, const Edge &b) { return a.min_x < b.min_x; });
    size_t compared = 0;
    for (size_t i = 0; i < edges.size(); ++i) {
        const Edge &e = edges[i];
        for (size_t j = i + 1; j < edges.size() && edges[j].min_x <= e.max_x + 2 * margin_cells; ++j) {
            const Edge &f = edges[j];
            if (e.ring == f.ring) continue;
            if (++compared > budget) return 0;
            if (!certainly_apart(e, f, margin_cells)) return 0;
        }
    }
    return 1;
}
