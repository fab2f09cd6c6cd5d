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
