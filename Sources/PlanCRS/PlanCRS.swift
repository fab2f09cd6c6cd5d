import CPROJ
/// The PROJ version this build runs against, e.g. "9.1.1".
public var projVersion: String { String(cString: proj_info().version) }
