import Foundation
// EnvelopeTree.query at a given revision (TreeOld) against the working tree's (TreeNew), on
// row-major parcels as Tools/gen_layers.py lays them out (file order = rows along x): the boxes
// of `b` on one grid, the queries on a slightly different one, in file order as the overlay's
// chunks run. Best of 3, one thread. Built by run.sh.
let n = Int(CommandLine.arguments[1])!
let side = Int(Double(n).squareRoot())
func grid(_ cell: Double, _ jitter: Double) -> [Envelope] {
    var out: [Envelope] = []
    let count = Int(Double(side) * 100 / cell)
    for r in 0..<count { for c in 0..<count {
        let x = Double(c) * cell + jitter, y = Double(r) * cell + jitter
        out.append(Envelope(minX: x, minY: y, maxX: x + cell * 1.05, maxY: y + cell * 1.05))
    } }
    return out
}
let b = grid(100, 0), a = grid(97, 13)
func time(_ name: String, _ body: () -> Int) {
    var best = Double.infinity; var hits = 0
    for _ in 0..<3 { let t = Date(); hits = body(); best = min(best, Date().timeIntervalSince(t)) }
    print(name, "n", b.count, "queries", a.count, "hits", hits, String(format: "best %.3f s, %.0f ns/query", best, best / Double(a.count) * 1e9))
}
let old = TreeOld(envelopes: b), new = TreeNew(envelopes: b)
time("before") { var h = 0; for q in a { h &+= old.query(q).count }; return h }
time("after ") { var h = 0; for q in a { h &+= new.query(q).count }; return h }
