import Dispatch
import Foundation
import PlanCheckKit
import Synchronization

/// What `plan-check serve` takes on at once and from one request. Every limit has an answer a
/// client can act on: 413 for a site too large, 503 with Retry-After for a server that is full.
public struct ServiceLimits: Sendable, Equatable {
    /// Requests answered at once for sites of at most `largeBodyBytes` (one worker thread each).
    public var workers: Int
    /// Requests answered at once for larger sites, on workers of their own, so that small sites
    /// keep flowing while a large one runs.
    public var largeSiteWorkers: Int
    /// A body larger than this (bytes) is a large site.
    public var largeBodyBytes: Int
    /// Requests admitted beyond those being answered (reading their body or waiting for a
    /// worker); more get 503 with Retry-After at once.
    public var maxWaiting: Int
    /// Large-site bodies admitted at once may declare at most this many bytes together (a body
    /// sent without Content-Length counts as `--max-body-bytes`): with `maxWaiting` small bodies
    /// of at most `largeBodyBytes`, the memory the bodies can take.
    public var maxPendingBodyBytes: Int
    /// A site with more parts (polygons) is refused with 413.
    public var maxSiteParts: Int
    /// A site with more vertices is refused with 413.
    public var maxSiteVertices: Int
    /// Seconds from a request's arrival to its answer: waiting for a worker, reading the body and
    /// answering; beyond it 503 with Retry-After.
    public var maxQuerySeconds: Double

    public init(
        workers: Int = ServiceLimits.defaultWorkers, largeSiteWorkers: Int = 1, largeBodyBytes: Int = 32 * 1024,
        maxWaiting: Int = 1_000, maxPendingBodyBytes: Int = 64 * 1024 * 1024, maxSiteParts: Int = 1_000,
        maxSiteVertices: Int = 200_000, maxQuerySeconds: Double = 30
    ) {
        self.workers = workers
        self.largeSiteWorkers = largeSiteWorkers
        self.largeBodyBytes = largeBodyBytes
        self.maxWaiting = maxWaiting
        self.maxPendingBodyBytes = maxPendingBodyBytes
        self.maxSiteParts = maxSiteParts
        self.maxSiteVertices = maxSiteVertices
        self.maxQuerySeconds = maxQuerySeconds
    }

    /// One worker per core.
    public static var defaultWorkers: Int { ProcessInfo.processInfo.activeProcessorCount }
}

/// Counts the requests and body bytes the service has taken on, and refuses more beyond its
/// limits (the caller answers 503 with Retry-After).
final class QueryAdmission: Sendable {
    let maxRequests: Int
    let maxBytes: Int
    /// Bodies up to this size (a small site) count only towards `maxRequests`: they are bounded by
    /// it already, and a queue of large bodies must not turn small sites away.
    let smallBodyBytes: Int
    private let taken = Mutex<(requests: Int, bytes: Int)>((0, 0))

    init(maxRequests: Int, maxBytes: Int, smallBodyBytes: Int) {
        self.maxRequests = maxRequests
        self.maxBytes = maxBytes
        self.smallBodyBytes = smallBodyBytes
    }

    /// A ticket for one request that will hold up to `bytes` of body, or nil when the service is
    /// full. Give it back with `release(_:)`.
    func admit(bytes: Int) -> Ticket? {
        let counted = bytes <= smallBodyBytes ? 0 : bytes
        return taken.withLock { taken in
            guard taken.requests < maxRequests, counted == 0 || taken.bytes + counted <= maxBytes || taken.bytes == 0 else {
                return nil
            }
            taken.requests += 1
            taken.bytes += counted
            return Ticket(bytes: counted)
        }
    }

    func release(_ ticket: Ticket) {
        taken.withLock { taken in
            taken.requests -= 1
            taken.bytes -= ticket.bytes
        }
    }

    /// Requests and bytes taken on now.
    var current: (requests: Int, bytes: Int) { taken.withLock { $0 } }

    struct Ticket: Sendable {
        let bytes: Int
    }
}

/// A thread of its own for the work of one request at a time. The queries' GEOS and PROJ work
/// runs here rather than on the Swift concurrency pool, which carries the server's own tasks
/// (accepting, reading bodies, writing answers): a long answer never holds those up.
final class WorkerThread: TaskExecutor {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { [self] in job.runSynchronously(on: asUnownedTaskExecutor()) }
    }
}

/// A fixed set of worker threads for one kind of request, and a first-come, first-served wait
/// for a free one that ends at the request's deadline.
final class QueryLane: Sendable {
    let name: String
    private let workers: [WorkerThread]
    private let state: Mutex<State>

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Int, any Error>
        var timer: Task<Void, Never>?
    }

    private struct State {
        var free: [Int]
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
    }

    init(name: String, workers count: Int) {
        self.name = name
        workers = (0..<max(1, count)).map { WorkerThread(label: "plan-check.\(name).\($0)") }
        state = Mutex(State(free: Array((0..<max(1, count)).reversed())))
    }

    /// Runs `body` on a free worker of this lane (and every task it awaits there), waiting for
    /// one until `deadline`. Throws `QueryDeadline.Exceeded` when no worker came free in time.
    func run<T: Sendable>(deadline: QueryDeadline, _ body: @Sendable () async throws -> T) async throws -> T {
        let slot = try await acquire(deadline: deadline)
        defer { release(slot) }
        return try await withTaskExecutorPreference(workers[slot]) { try await body() }
    }

    private func acquire(deadline: QueryDeadline) async throws -> Int {
        if let slot = state.withLock({ $0.free.popLast() }) { return slot }
        try deadline.check("waiting for a free \(name) worker")
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int, any Error>) in
                let ready: Int? = state.withLock { state in
                    if let slot = state.free.popLast() { return slot }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let ready { return continuation.resume(returning: ready) }
                guard let instant = deadline.instant else { return }
                let expiry = QueryDeadline.Exceeded(seconds: deadline.seconds ?? 0, step: "waiting for a free \(name) worker")
                let timer = Task { [weak self] in
                    try? await Task.sleep(until: instant, clock: .continuous)
                    guard !Task.isCancelled else { return }
                    self?.abandon(id, throwing: expiry)
                }
                state.withLock { state in
                    if let n = state.waiters.firstIndex(where: { $0.id == id }) { state.waiters[n].timer = timer }
                }
            }
        } onCancel: {
            abandon(id, throwing: CancellationError())
        }
    }

    /// Takes a waiter out of the line and resumes it with `error` (its deadline passed, or its
    /// request was cancelled); nothing when it already has a worker.
    private func abandon(_ id: UInt64, throwing error: any Error) {
        let waiter = state.withLock { state -> Waiter? in
            guard let n = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: n)
        }
        waiter?.timer?.cancel()
        waiter?.continuation.resume(throwing: error)
    }

    /// Hands the worker to the first waiter, or frees it.
    private func release(_ slot: Int) {
        let next = state.withLock { state -> Waiter? in
            guard !state.waiters.isEmpty else {
                state.free.append(slot)
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.timer?.cancel()
        next?.continuation.resume(returning: slot)
    }
}
