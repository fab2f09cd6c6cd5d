// PlanCRS: coordinate reference systems, reprojection and ellipsoidal area over PROJ.
//
// This is the only module that imports CPROJ. Every PROJ handle lives inside a `CRSContext`
// (one per task) or an object that belongs to one; only plain Swift values (`CRSDescription`,
// `Position`, `GeometryValue`, `Double`, `CRSError`) leave the module or cross tasks.
internal import CPROJ

/// The PROJ version this build runs against, e.g. "9.1.1" (`proj_info().version`).
public var projVersion: String { String(cString: proj_info().version) }
