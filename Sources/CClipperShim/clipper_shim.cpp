// The C face of Clipper 6.4 for PlanClipper: paths in, PolyTree flattened to polygons out.
#include "clipper_shim.h"
#include <polyclipping/clipper.hpp>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <vector>

using namespace ClipperLib;

/// `rings` as Clipper paths in `paths`, whose vectors keep their capacity from call to call.
static void to_paths(pc_rings rings, Paths &paths) {
    paths.resize(rings.ring_count);
    const int64_t *p = rings.xy;
    for (size_t r = 0; r < rings.ring_count; ++r) {
        paths[r].clear();
        paths[r].reserve(rings.ring_sizes[r]);
        for (size_t i = 0; i < rings.ring_sizes[r]; ++i, p += 2) paths[r].push_back(IntPoint(p[0], p[1]));
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
};

static thread_local std::unique_ptr<Workspace> workspace;

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
        to_paths(subject, workspace->subject);
        to_paths(clip, workspace->clip);
        clipper.AddPaths(workspace->subject, ptSubject, true);
        clipper.AddPaths(workspace->clip, ptClip, true);
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
