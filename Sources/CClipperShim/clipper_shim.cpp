// The C face of Clipper 6.4 for PlanClipper: paths in, PolyTree flattened to polygons out.
#include "clipper_shim.h"
#include <polyclipping/clipper.hpp>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <vector>

using namespace ClipperLib;

static Paths to_paths(pc_rings rings) {
    Paths paths(rings.ring_count);
    const int64_t *p = rings.xy;
    for (size_t r = 0; r < rings.ring_count; ++r) {
        paths[r].reserve(rings.ring_sizes[r]);
        for (size_t i = 0; i < rings.ring_sizes[r]; ++i, p += 2) paths[r].push_back(IntPoint(p[0], p[1]));
    }
    return paths;
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
        // Collinear vertices stay: in a lon/lat CRS the edges are geodesics, so a vertex on a
        // straight line in degrees still changes the ellipsoidal area. Strictly simple output:
        // without it, rings that touch themselves at a vertex come out, which GEOS calls invalid
        // (2 of the sample district's operations fell back to GEOS; none with it).
        Clipper clipper(ioPreserveCollinear | ioStrictlySimple);
        clipper.AddPaths(to_paths(subject), ptSubject, true);
        clipper.AddPaths(to_paths(clip), ptClip, true);
        PolyTree tree;
        if (!clipper.Execute(static_cast<ClipType>(operation), tree, pftEvenOdd, pftNonZero)) {
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
        return 0;
    } catch (const std::exception &e) {
        pc_result_free(out);
        copy_message(e.what(), message, message_capacity);
        return 1;
    } catch (...) {
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
