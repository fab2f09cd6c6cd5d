#ifndef PLANCHECK_CLIPPER_SHIM_H
#define PLANCHECK_CLIPPER_SHIM_H
// A plain C face over Clipper 6.4 (C++): integer rings in, polygons with their holes out.
// Swift sees only this header; no C++ type crosses it.
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The boolean operations. Values match ClipperLib::ClipType.
typedef enum { pc_intersection = 0, pc_union = 1, pc_difference = 2 } pc_operation;

/// Closed rings on the integer grid: `xy` holds x0, y0, x1, y1, … for every ring in turn (no
/// repeated closing point), `ring_sizes[i]` the number of points of ring i.
typedef struct {
    const int64_t *xy;
    const size_t *ring_sizes;
    size_t ring_count;
} pc_rings;

/// The polygons of one result: `ring_polygon[i]` is the polygon ring i belongs to (0, 1, …);
/// each polygon's shell comes first, then its holes. Owned by the shim: free with pc_result_free.
typedef struct {
    int64_t *xy;
    size_t *ring_sizes;
    int32_t *ring_polygon;
    size_t ring_count;
    size_t point_count;
    /// 1 when a difference's area equals the subject's exactly (on the grid): the clip took
    /// nothing away from the subject. 0 otherwise, and for other operations.
    int keeps_subject_area;
    /// 1 when an intersection is empty because the two inputs are certainly disjoint: not even
    /// touching, for any vertex moved by up to one cell from its cell (so for the coordinates the
    /// cells were rounded from). 0 when that is not certain, or for other operations.
    int certainly_disjoint;
} pc_result;

/// Runs one Clipper Execute with PolyTree output: `subject` filled even-odd, `clip` non-zero
/// (so overlapping clip polygons count once). Returns 0 and fills `out`, or 1 with the
/// exception text in `message` (e.g. a coordinate outside ±4.6e18), or 2 when Clipper reports
/// failure without one.
int pc_execute(pc_operation operation, pc_rings subject, pc_rings clip, pc_result *out,
               char *message, size_t message_capacity);

/// 1 when `result` is certainly valid by GEOS once converted to coordinates
/// `origin + cell / cells_per_unit` (`origin_magnitude` the largest |origin| component): rings
/// simple and apart from each other by more than the conversion can move them, holes inside
/// their own shells, shells outside the other polygons. 0 when that is not certain (touching or
/// near-touching rings, spikes, more than 256 rings): ask GEOS. Exact integer arithmetic.
int pc_result_certainly_valid(const pc_result *result, double origin_magnitude, double cells_per_unit);

/// 1 when the polygons (`xy` x0, y0, x1, y1, … of every ring in turn, in CRS units, without
/// the closing point; `ring_polygon[i]` the polygon of ring i, each polygon's shell first) are
/// certainly valid by GEOS as they are: decided exactly on a grid of cells four times the
/// spacing of doubles at the largest |coordinate|, with a margin of one cell. 0 when that is
/// not certain (touching or near-touching rings, repeated points, spikes, coordinates not finite
/// or beyond 2^64 or all below 2^-64, more than 256 rings, an edge arrangement that would cost
/// more than GEOS): ask GEOS.
int pc_polygons_certainly_valid(const double *xy, const size_t *ring_sizes, const int32_t *ring_polygon,
                                size_t ring_count);

/// 1 when every edge of rings `a` is certainly apart from every edge of rings `b` (cells, each
/// ring without its closing point): more than 2 × `margin_cells` apart for every vertex moved by
/// up to `margin_cells`. 0 when that is not certain or after comparing `budget` pairs of edges.
/// It says nothing about one side lying inside the other.
int pc_rings_certainly_apart(const int64_t *a_xy, const size_t *a_sizes, size_t a_rings, const int64_t *b_xy,
                             const size_t *b_sizes, size_t b_rings, int64_t margin_cells, size_t budget);

/// Clipper's version, e.g. "6.4.2" (CLIPPER_VERSION of the header built against).
const char *pc_version(void);

/// Frees what pc_execute allocated in `result` (safe on a zeroed result).
void pc_result_free(pc_result *result);

#ifdef __cplusplus
}
#endif
#endif
