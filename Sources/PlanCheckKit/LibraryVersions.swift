import PlanClipper
import PlanCRS
import PlanGDAL
import PlanGeometry
import PlanStore

/// Versions of the C libraries this build runs on, for reports and `--version`.
public enum LibraryVersions {
    public static var geos: String { geosVersion }
    public static var proj: String { projVersion }
    public static var sqlite: String { sqliteVersion }
    public static var gdal: String { gdalVersion }
    public static var clipper: String { ClipperGrid.libraryVersion }
}
