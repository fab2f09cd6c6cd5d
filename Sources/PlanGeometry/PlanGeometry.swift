import CGEOS
/// The GEOS version this build runs against, e.g. "3.11.1-CAPI-1.17.1".
public var geosVersion: String { String(cString: GEOSversion()) }
