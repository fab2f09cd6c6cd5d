/// Runs `body` on consecutive chunks of `items` in up to `jobs` tasks at once and returns the
/// results (each chunk's, concatenated) in input order. The chunks are the same whatever the job count, so results (sums
/// included) are identical for any `jobs`. Each call of `body` gets one chunk, so it can make its
/// own GEOS and PROJ contexts (nothing native crosses tasks).
func parallelChunks<Item: Sendable, Result: Sendable>(
    _ items: [Item], jobs: Int, chunkSize: Int = 256,
    _ body: @escaping @Sendable (ArraySlice<Item>) throws -> [Result]
) async throws -> [Result] {
    var results: [Result] = []
    try await parallelChunksInOrder(items, jobs: jobs, chunkSize: chunkSize, body) { results += $0 }
    return results
}

/// Like `parallelChunks`, but hands each chunk's result to `consume` in input order as soon as
/// it and every chunk before it are done, instead of collecting them all: memory stays bounded
/// by a few chunks (for streaming output). `consume` runs on the calling task.
func parallelChunksInOrder<Item: Sendable, Result: Sendable>(
    _ items: [Item], jobs: Int, chunkSize: Int,
    _ body: @escaping @Sendable (ArraySlice<Item>) throws -> Result,
    consume: (Result) throws -> Void
) async throws {
    guard !items.isEmpty else { return }
    let chunkStarts = Array(stride(from: 0, to: items.count, by: chunkSize))
    func chunk(_ index: Int) -> ArraySlice<Item> {
        items[chunkStarts[index]..<min(chunkStarts[index] + chunkSize, items.count)]
    }
    if jobs <= 1 || chunkStarts.count == 1 {
        for index in chunkStarts.indices { try consume(try body(chunk(index))) }
        return
    }
    try await withThrowingTaskGroup(of: (Int, Result).self) { group in
        var next = 0
        var waiting: [Int: Result] = [:]
        var due = 0
        // At most `jobs` chunks in flight, so `--jobs` bounds the cores used.
        while next < min(jobs, chunkStarts.count) {
            let index = next, slice = chunk(index)
            group.addTask { (index, try body(slice)) }
            next += 1
        }
        while let (index, result) = try await group.next() {
            waiting[index] = result
            while let ready = waiting.removeValue(forKey: due) {
                try consume(ready)
                due += 1
            }
            if next < chunkStarts.count {
                let launched = next, slice = chunk(launched)
                group.addTask { (launched, try body(slice)) }
                next += 1
            }
        }
    }
}

/// Batches through two stages, produce then transform, ahead of their consumer: while the
/// caller consumes batch n, batch n+1 is transformed and batch n+2 produced, each on a task of
/// its own (`overlapping`; otherwise one batch at a time on the calling task).
///
/// `produce` returns nil at the end. It is called once at a time (each call starts after the
/// previous one returned), so it may step a source that is not Sendable (`BatchReader`). A caller
/// that stops early (an error) calls `cancel()`, which waits for the tasks still running.
struct BatchPipeline<Batch: Sendable, Transformed: Sendable> {
    let produce: @Sendable () throws -> Batch?
    let transform: @Sendable (Batch) async throws -> Transformed
    let overlapping: Bool
    /// Seconds `next()` waited for `produce` and for `transform`.
    private(set) var producing = 0.0
    private(set) var transforming = 0.0
    private var produced: Task<Batch?, any Error>?
    private var transformed: Task<(Batch, Transformed), any Error>?
    private var started = false

    init(overlapping: Bool, produce: @escaping @Sendable () throws -> Batch?,
         transform: @escaping @Sendable (Batch) async throws -> Transformed) {
        self.overlapping = overlapping
        self.produce = produce
        self.transform = transform
    }

    /// The next batch and what `transform` made of it, in order; nil at the end.
    mutating func next() async throws -> (Batch, Transformed)? {
        guard overlapping else {
            var clock = ContinuousClock.now
            guard let batch = try produce() else { return nil }
            producing += clock.duration(to: .now).seconds
            clock = .now
            let done = try await transform(batch)
            transforming += clock.duration(to: .now).seconds
            return (batch, done)
        }
        if !started {
            started = true
            let produce = self.produce
            produced = Task { try produce() }
        }
        do {
            while produced != nil || transformed != nil {
                var clock = ContinuousClock.now
                var batch: Batch?
                if let running = produced {
                    batch = try await running.value
                    let produce = self.produce
                    produced = batch == nil ? nil : Task { try produce() }
                }
                producing += clock.duration(to: .now).seconds
                let previous = transformed
                let transform = self.transform
                transformed = batch.map { batch in Task { (batch, try await transform(batch)) } }
                if let previous {
                    clock = .now
                    let result = try await previous.value
                    transforming += clock.duration(to: .now).seconds
                    return result
                }
            }
            return nil
        } catch {
            await cancel()
            throw error
        }
    }

    /// Cancels the tasks still running and waits for them.
    mutating func cancel() async {
        produced?.cancel()
        transformed?.cancel()
        _ = try? await produced?.value
        _ = try? await transformed?.value
        produced = nil
        transformed = nil
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) * 1e-18
    }
}
