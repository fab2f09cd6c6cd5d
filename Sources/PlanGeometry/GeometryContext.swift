import CGEOS

/// One GEOS context (`GEOSContextHandle_t`): the handle every GEOS call goes through, plus
/// the last error and notice message GEOS reported on it.
///
/// Wraps `GEOS_init_r` / `GEOS_finish_r`, and installs `GEOSContext_setErrorMessageHandler_r`
/// and `GEOSContext_setNoticeMessageHandler_r` with this object as userdata.
///
/// A context is not thread-safe, so it is not `Sendable`: create one per task, and pass only
/// `Sendable` values (`GeometryValue`, WKB bytes, result structs) between tasks. Every
/// `Geometry`, `PreparedGeometry` and `SpatialIndex` keeps its context alive.
public final class GeometryContext {
    let handle: GEOSContextHandle_t
    /// The last error message GEOS reported on this context since the current call began.
    public private(set) var lastErrorMessage: String?
    /// The last notice (warning) GEOS reported on this context, if any. Not cleared per call.
    public private(set) var lastNotice: String?

    // Readers and writers are created on first use and live as long as the context.
    private var wkbReaderHandle: OpaquePointer?
    private var wkbWriterHandle: OpaquePointer?
    private var wktReaderHandle: OpaquePointer?
    private var wktWriterHandle: OpaquePointer?

    /// Creates a GEOS context (`GEOS_init_r`) and installs its message handlers.
    /// - Throws: `GeometryError.library` when GEOS cannot create a context.
    public init() throws {
        guard let handle = GEOS_init_r() else {
            throw GeometryError.library(operation: "GEOS_init_r", message: "GEOS could not create a context")
        }
        self.handle = handle
        let userdata = Unmanaged.passUnretained(self).toOpaque()
        GEOSContext_setErrorMessageHandler_r(handle, { message, userdata in
            guard let userdata else { return }
            let context = Unmanaged<GeometryContext>.fromOpaque(userdata).takeUnretainedValue()
            context.lastErrorMessage = message.map { String(cString: $0) } ?? "(no message)"
        }, userdata)
        GEOSContext_setNoticeMessageHandler_r(handle, { message, userdata in
            guard let userdata else { return }
            let context = Unmanaged<GeometryContext>.fromOpaque(userdata).takeUnretainedValue()
            context.lastNotice = message.map { String(cString: $0) }
        }, userdata)
    }

    deinit {
        if let w = wkbReaderHandle { GEOSWKBReader_destroy_r(handle, w) }
        if let w = wkbWriterHandle { GEOSWKBWriter_destroy_r(handle, w) }
        if let w = wktReaderHandle { GEOSWKTReader_destroy_r(handle, w) }
        if let w = wktWriterHandle { GEOSWKTWriter_destroy_r(handle, w) }
        // Unhook the handlers before finishing so nothing can call back into a dying object.
        GEOSContext_setErrorMessageHandler_r(handle, nil, nil)
        GEOSContext_setNoticeMessageHandler_r(handle, nil, nil)
        GEOS_finish_r(handle)
    }

    // MARK: - The choke point

    /// The message for a failure: what GEOS said during this call, or a note that it said nothing.
    private func failure(_ operation: String) -> GeometryError {
        .library(operation: operation, message: lastErrorMessage ?? "GEOS signalled failure without a message")
    }

    /// Calls a GEOS function that returns a pointer and signals failure with NULL.
    /// (Where NULL is a legitimate answer, e.g. the location `GEOSisValidDetail_r` leaves NULL
    /// for a valid geometry, the caller reads the out-parameter itself and does not come here.)
    func pointer<T>(_ operation: String, _ body: (GEOSContextHandle_t) -> T?) throws -> T {
        lastErrorMessage = nil
        guard let result = body(handle) else { throw failure(operation) }
        return result
    }

    /// Calls a GEOS function returning an `int` status or count, where `failureValue`
    /// (0 for status functions, -1 for counts) signals failure.
    @discardableResult
    func status(_ operation: String, failureValue: Int32, _ body: (GEOSContextHandle_t) -> Int32) throws -> Int32 {
        lastErrorMessage = nil
        let result = body(handle)
        if result == failureValue { throw failure(operation) }
        return result
    }

    /// Calls a GEOS predicate (`char`: 1 true, 0 false, 2 exception).
    func predicate(_ operation: String, _ body: (GEOSContextHandle_t) -> CChar) throws -> Bool {
        lastErrorMessage = nil
        switch body(handle) {
        case 1: return true
        case 0: return false
        default: throw failure(operation)
        }
    }

    /// Calls a GEOS function that returns nothing and reports failure only through the handler.
    func void(_ operation: String, _ body: (GEOSContextHandle_t) -> Void) throws {
        lastErrorMessage = nil
        body(handle)
        if lastErrorMessage != nil { throw failure(operation) }
    }

    // MARK: - Cached readers and writers

    func wkbReader() throws -> OpaquePointer {
        if let r = wkbReaderHandle { return r }
        let r = try pointer("GEOSWKBReader_create_r") { GEOSWKBReader_create_r($0) }
        wkbReaderHandle = r
        return r
    }

    func wkbWriter() throws -> OpaquePointer {
        if let w = wkbWriterHandle { return w }
        let w = try pointer("GEOSWKBWriter_create_r") { GEOSWKBWriter_create_r($0) }
        GEOSWKBWriter_setOutputDimension_r(handle, w, 2)
        GEOSWKBWriter_setByteOrder_r(handle, w, Int32(GEOS_WKB_NDR.rawValue))
        wkbWriterHandle = w
        return w
    }

    func wktReader() throws -> OpaquePointer {
        if let r = wktReaderHandle { return r }
        let r = try pointer("GEOSWKTReader_create_r") { GEOSWKTReader_create_r($0) }
        wktReaderHandle = r
        return r
    }

    func wktWriter() throws -> OpaquePointer {
        if let w = wktWriterHandle { return w }
        let w = try pointer("GEOSWKTWriter_create_r") { GEOSWKTWriter_create_r($0) }
        GEOSWKTWriter_setOutputDimension_r(handle, w, 2)
        wktWriterHandle = w
        return w
    }
}

@available(*, unavailable, message: "A GEOS context is not thread-safe; create one per task")
extension GeometryContext: Sendable {}
