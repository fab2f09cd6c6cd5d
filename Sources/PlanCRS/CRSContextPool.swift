import Synchronization

/// A pool of PROJ contexts for work that asks many small questions (a query service answering
/// sites): making a context opens PROJ's database and parses CRSs anew, which costs more than
/// reprojecting and measuring one site. A lease gives one caller a context of its own; when the
/// lease is released the context, with its caches, goes back to the pool for the next caller.
///
/// A context is never used by two callers at once; it may be used by different threads one after
/// the other, which PROJ allows (the pool's lock orders the hand-overs).
public final class CRSContextPool: Sendable {
    /// The process-wide pool.
    public static let shared = CRSContextPool()

    private let idle = Mutex<[PooledContext]>([])
    /// Contexts kept for later callers; a burst of callers makes more, and they are destroyed as
    /// the burst ends (each holds a connection to PROJ's database and its caches).
    public let maxIdle: Int

    /// `maxIdle` defaults to 16: an overlay's workers on a workstation, a service's answers.
    public init(maxIdle: Int = 16) {
        self.maxIdle = max(1, maxIdle)
    }

    /// A context of the caller's own until the lease is released. Throws `CRSError` when PROJ
    /// cannot create a context.
    public func lease() throws -> CRSContextLease {
        if let pooled = idle.withLock({ $0.popLast() }) {
            return CRSContextLease(context: pooled.context, pool: self)
        }
        return CRSContextLease(context: try CRSContext(), pool: self)
    }

    fileprivate func giveBack(_ context: CRSContext) {
        var surplus: PooledContext? = PooledContext(context: context)
        idle.withLock { pool in
            if pool.count < maxIdle, let kept = surplus.take() { pool.append(kept) }
        }
        _ = surplus  // destroyed here, outside the lock
    }

    /// Contexts waiting in the pool (for tests).
    public var idleCount: Int { idle.withLock { $0.count } }
}

/// A context lent by a `CRSContextPool`; it returns to the pool when the lease is released.
/// Keep the lease (and everything made from its context: transformers, area calculators) on one
/// task, like the context itself.
public final class CRSContextLease {
    public let context: CRSContext
    private let pool: CRSContextPool

    fileprivate init(context: CRSContext, pool: CRSContextPool) {
        self.context = context
        self.pool = pool
    }

    deinit { pool.giveBack(context) }
}

@available(*, unavailable)
extension CRSContextLease: Sendable {}

/// A context at rest in the pool: nobody holds it, so handing it to the next caller is safe.
private struct PooledContext: @unchecked Sendable {
    let context: CRSContext
}
