internal import CPROJ

/// Owns one `PJ_CONTEXT` and the messages PROJ logs on it.
///
/// Internal: `CRSContext`, `Transformer` and `NativeObject` all hold this strongly, so the context
/// is destroyed only after the last PROJ object made on it (no reference cycle through caches).
final class NativeContext {
    let pointer: OpaquePointer
    /// Messages PROJ logged (at error level) since the last `clearMessages()`.
    private(set) var messages: [String] = []

    init() throws {
        guard let ctx = proj_context_create() else {
            throw CRSError(kind: .library, operation: "create a PROJ context",
                           message: "PROJ could not create a context (out of memory?)",
                           function: "proj_context_create")
        }
        pointer = ctx
        // Replace PROJ's default logger (which prints to stderr) with one that keeps the text.
        proj_log_level(ctx, PJ_LOG_ERROR)
        proj_log_func(ctx, Unmanaged.passUnretained(self).toOpaque()) { appData, _, message in
            guard let appData, let message else { return }
            let me = Unmanaged<NativeContext>.fromOpaque(appData).takeUnretainedValue()
            me.messages.append(String(cString: message))
        }
    }

    deinit {
        proj_context_destroy(pointer)
    }

    func clearMessages() {
        messages.removeAll(keepingCapacity: true)
    }

    /// PROJ's text for the failure that just happened: the logged messages, else the context's
    /// error-code string, else a plain statement that PROJ said nothing.
    func failureMessage(errno code: Int32? = nil) -> String {
        if !messages.isEmpty { return messages.joined(separator: "; ") }
        let err = code ?? proj_context_errno(pointer)
        if err != 0, let text = proj_context_errno_string(pointer, err) {
            return String(cString: text)
        }
        return "PROJ gave no message"
    }

    /// The one choke point for PROJ calls that return an object: clears the message buffer,
    /// calls `body`, and turns a NULL result into a `CRSError` carrying PROJ's message.
    func object(
        _ function: String, operation: @autoclosure () -> String, kind: CRSError.Kind = .library,
        _ body: (OpaquePointer) -> OpaquePointer?
    ) throws -> NativeObject {
        clearMessages()
        guard let result = body(pointer) else {
            throw CRSError(kind: kind, operation: operation(), message: failureMessage(), function: function)
        }
        return NativeObject(result, context: self)
    }

    /// Like `object`, but returns nil instead of throwing (for lookups whose failure is expected,
    /// e.g. trying a GeoPackage organisation code before its WKT).
    func objectIfPossible(_ body: (OpaquePointer) -> OpaquePointer?) -> NativeObject? {
        clearMessages()
        defer { clearMessages() }
        return body(pointer).map { NativeObject($0, context: self) }
    }
}

/// Owns one `PJ*` (a CRS, coordinate system, ellipsoid or operation); `proj_destroy` on deinit.
final class NativeObject {
    let pointer: OpaquePointer
    let context: NativeContext

    init(_ pointer: OpaquePointer, context: NativeContext) {
        self.pointer = pointer
        self.context = context
    }

    deinit {
        proj_destroy(pointer)
    }

    /// `proj_get_name`, or "" when the object has no name.
    var name: String {
        proj_get_name(pointer).map { String(cString: $0) } ?? ""
    }

    /// "AUTH:CODE" of the object's first identifier (`proj_get_id_auth_name`/`proj_get_id_code`).
    var authorityIdentifier: String? {
        guard let auth = proj_get_id_auth_name(pointer, 0), let code = proj_get_id_code(pointer, 0) else {
            return nil
        }
        return "\(String(cString: auth)):\(String(cString: code))"
    }

    var type: PJ_TYPE { proj_get_type(pointer) }
}

@available(*, unavailable) extension NativeContext: Sendable {}
@available(*, unavailable) extension NativeObject: Sendable {}
