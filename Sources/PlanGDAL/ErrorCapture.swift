internal import CGDAL

/// GDAL registered once per process (`GDALAllRegister`), with curved geometries linearised by
/// the drivers (`OGRSetNonLinearGeometriesEnabledFlag(FALSE)`: a File Geodatabase's arcs arrive as
/// line segments, which GEOS and the WKB reader take).
private let registration: Void = {
    GDALAllRegister()
    OGRSetNonLinearGeometriesEnabledFlag(0)
}()

/// Makes sure GDAL's drivers are registered; cheap after the first call.
func registerGDAL() {
    registration
}

/// One message GDAL reported through `CPLError`.
struct GDALMessage {
    /// `CE_Debug`, `CE_Warning`, `CE_Failure` or `CE_Fatal`.
    var level: CPLErr
    var number: Int32
    var text: String

    var isFailure: Bool { level == CE_Failure || level == CE_Fatal }
}

/// Collects what GDAL reports while a read runs, instead of GDAL printing it to stderr.
///
/// `ErrorCapture.run` pushes a handler on GDAL's error-handler stack (`CPLPushErrorHandlerEx`,
/// thread-local) with the collector as its user data, and pops it when the body returns or throws.
/// The body must be synchronous (no suspension point), so that every GDAL call it makes happens on
/// the thread whose handler stack holds the collector.
final class ErrorCapture {
    private(set) var messages: [GDALMessage] = []

    /// Forgets what was collected: call before a call whose failure is to be reported alone.
    func clear() {
        messages.removeAll(keepingCapacity: true)
    }

    /// The texts of the failures collected since the last `clear()`.
    var failures: [String] { messages.filter(\.isFailure).map(\.text) }

    /// The texts of everything collected since the last `clear()` (failures and warnings).
    var texts: [String] { messages.filter { $0.level != CE_Debug }.map(\.text) }

    fileprivate func append(_ level: CPLErr, _ number: Int32, _ text: UnsafePointer<CChar>?) {
        messages.append(GDALMessage(level: level, number: number, text: text.map { String(cString: $0) } ?? ""))
    }

    /// Runs `body` with GDAL's messages going into a fresh collector.
    static func run<T>(_ body: (ErrorCapture) throws(GDALError) -> T) throws(GDALError) -> T {
        let capture = ErrorCapture()
        let userData = Unmanaged.passUnretained(capture).toOpaque()
        CPLPushErrorHandlerEx({ level, number, text in
            guard let data = CPLGetErrorHandlerUserData() else { return }
            Unmanaged<ErrorCapture>.fromOpaque(data).takeUnretainedValue().append(level, number, text)
        }, userData)
        defer {
            CPLPopErrorHandler()
            withExtendedLifetime(capture) {}
        }
        // Registration may report (a driver plugin that does not load): into the capture too.
        registerGDAL()
        CPLErrorReset()
        return try body(capture)
    }
}

@available(*, unavailable) extension ErrorCapture: Sendable {}
