/// When an answer must be ready. The query engine checks it between its steps (reading the
/// registry, each item, plan conformity), so a request that runs too long stops at the next step
/// and its resources go back to the pool; one GEOS operation in progress is not interrupted.
public struct QueryDeadline: Sendable {
    /// The moment, on the monotonic clock; nil for no limit.
    public var instant: ContinuousClock.Instant?
    /// The limit as given, for the message.
    public var seconds: Double?

    /// No limit (the command line).
    public static let none = QueryDeadline(instant: nil, seconds: nil)

    /// `seconds` from now.
    public static func after(seconds: Double) -> QueryDeadline {
        QueryDeadline(instant: .now + .milliseconds(Int64(seconds * 1000)), seconds: seconds)
    }

    /// True once the moment has passed.
    public var hasPassed: Bool { instant.map { ContinuousClock.now >= $0 } ?? false }

    /// Throws `Exceeded` once the moment has passed; `step` says what was being done.
    public func check(_ step: @autoclosure () -> String) throws {
        if hasPassed { throw Exceeded(seconds: seconds ?? 0, step: step()) }
    }

    /// The answer took longer than the limit (exit 75, HTTP 503 with Retry-After): the server is
    /// busy or the site too large for it; try again later or with a smaller site.
    public struct Exceeded: PlanCheckFailure {
        public var seconds: Double
        public var step: String
        public var exitStatus: ExitStatus { .temporaryFailure }

        public init(seconds: Double, step: String) {
            self.seconds = seconds
            self.step = step
        }
        public var description: String {
            "the answer took longer than the service's limit of \(seconds) s (stopped while \(step)); try again later"
        }
    }
}
