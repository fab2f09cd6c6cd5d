// PlanGeometry: geometry operations over GEOS. The only module that imports CGEOS; no C type
// appears in its public API. Lengths and areas are planar, in the units of the data's CRS.
import CGEOS

/// The GEOS version this build runs against, e.g. "3.11.1-CAPI-1.17.1". Wraps `GEOSversion`.
public var geosVersion: String { String(cString: GEOSversion()) }
