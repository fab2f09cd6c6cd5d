import Foundation
import PlanCRS
import PlanLayers
import PlanModel
import PlanRules
import PlanStore

/// How an `overlay --tile K/N` slice reads its layers by region: when every layer it reads is a
/// GeoPackage layer with an R-tree, in the working CRS and with fids ≥ 0, the tile grid is laid
/// over the union of the R-trees' boxes before anything is read, and each layer is read only
/// where the slice's pairs can lie (`LayerRegion`):
/// - the slice's band of tiles (`TileGrid.range`) for a layer that is `a` of any rule, `b` of an
///   `intersects` rule, or read by no rule: an owned pair's reference point lies in both features'
///   boxes, so both boxes meet the band;
/// - for the `b` layer of an `outside` rule, also the union of the index boxes of the `a` layer
///   that meet the band: an owned `a` needs every `b` that touches it.
/// Slice 1 also reads the rows no index holds (no or empty geometry), counts each table's rows,
/// checks `id_field` and the class patterns over each whole table, and hashes the files, so that
/// none of these depends on a region.
struct SliceReading: Sendable {
    var grid: TileGrid
    /// The region of each layer, by layer name.
    var regions: [String: LayerRegion]
    /// Rows in each layer's table (slice 1 only; `plan-check merge` checks that the slices
    /// counted each feature once).
    var layerRows: [String: Int]
    /// Slice 1: the code patterns of each layer that match no row of its whole table (what a
    /// whole run warns of; a region cannot tell). Empty in the other slices.
    var unmatchedPatterns: [String: [ClassificationReport.UnmatchedPattern]] = [:]
    /// Each layer file's size and SQLite change counter and page count (its header): what merge
    /// compares across slices, since only slice 1 hashes the files.
    var layerFingerprints: [String: String] = [:]

    /// A layer that can be read by region: its file, open, and its R-tree.
    struct IndexedLayer {
        var definition: LayerDefinition
        var path: String
        var file: GeoPackageFile
        var index: GeoPackageSpatialIndex
    }

    /// The region reading of `slice` for `sources` (layers in rule-set order) read by `rules`, or
    /// why the layers are read whole (for the summary's `tiles.reading_note`).
    /// - Throws: layer errors (a missing file or layer, an unknown CRS), `ReconcileError` for an
    ///   `id_field` that does not identify every feature of a table (slice 1), `OverlayUsageError`
    ///   for a grid of more than 10¹² tiles.
    static func plan(
        _ slice: TileSlice, sources: [(LayerDefinition, String)], rules: [ConflictRule], preparation: LayerPreparation,
        rulesPath: String
    ) throws -> (reading: SliceReading?, note: String?) {
        let indexed: [IndexedLayer], working: CRSDescription?
        switch try indexedLayers(sources, preparation: preparation, rulesPath: rulesPath) {
        case .whole(let reason):
            return (nil, "\(reason); a slice reads by region only GeoPackage layers with an R-tree (gpkg_rtree_index) in the working CRS")
        case .indexed(let layers, let crs):
            (indexed, working) = (layers, crs)
        }
        guard let working else { return (nil, nil) }
        var extent = Envelope.empty
        for entry in indexed {
            let box = try entry.file.indexExtent(entry.index)
            if !box.isEmpty { extent.expand(toInclude: box) }
        }
        let grid = try TileGrid(slice: slice, extent: extent, workingCRS: working)
        var reading = SliceReading(grid: grid, regions: [:], layerRows: [:])
        for entry in indexed {
            let name = entry.definition.name
            let box = try readBox(of: name, band: grid.range.box, indexed: indexed, rules: rules)
            reading.regions[name] = LayerRegion(box: box, owner: grid.range, readsUnindexed: slice.slice == 1)
            reading.layerFingerprints[name] = fingerprint(of: entry.path)
            if slice.slice == 1 { try reading.checkWholeTable(of: entry) }
        }
        return (reading, nil)
    }

    /// The layers with their R-trees and the working CRS, or why a slice reads every layer whole.
    enum Indexing {
        case indexed([IndexedLayer], CRSDescription?)
        case whole(String)
    }

    /// The layers of `sources` with their R-trees and the working CRS (`--crs`, else the first
    /// layer's), or why they cannot be read by region: a layer that is not a GeoPackage, has no
    /// R-tree, has negative fids (merge keys are fids ≥ 0), or is not in the working CRS.
    static func indexedLayers(
        _ sources: [(LayerDefinition, String)], preparation: LayerPreparation, rulesPath: String
    ) throws -> Indexing {
        let context = try CRSContext()
        var working = try preparation.workingCRS.map { try context.crs($0) }
        var indexed: [IndexedLayer] = []
        for (definition, path) in sources {
            let layer = "layer '\(definition.name)' (\(path))"
            guard try LayerReader.format(of: path) == .geoPackage else { return .whole("\(layer) is not a GeoPackage") }
            let header = try LayerReader.stream(
                path: path, layerName: definition.layerName,
                options: preparation.reading.readOptions(for: definition, rulesPath: rulesPath)).layer
            let file = try GeoPackageFile(path: path)
            guard let index = try file.spatialIndex(of: header.name) else { return .whole("\(layer) has no R-tree") }
            if let smallest = try file.smallestFid(of: index.table), smallest < 0 { return .whole("\(layer) has negative fids") }
            let crs = try LayerCRSResolver.resolve(
                header, assumed: preparation.reading.assumption(for: definition, rulesPath: rulesPath), context: context).crs
            working = working ?? crs
            guard crs == working else {
                return .whole("\(layer) is in \(crs.identifier ?? crs.name), not in the working CRS \(working?.identifier ?? working?.name ?? "")")
            }
            indexed.append(IndexedLayer(definition: definition, path: path, file: file, index: index))
        }
        return .indexed(indexed, working)
    }

    /// "SIZE bytes, change counter C, P pages": a GeoPackage's size and the SQLite header's file
    /// change counter and page count, which every write transaction in rollback mode updates.
    static func fingerprint(of path: String) -> String {
        // The file was just opened as a GeoPackage: one that cannot be opened again is noted so.
        guard let handle = FileHandle(forReadingAtPath: path) else { return "not readable" }
        defer { try? handle.close() }
        let header = [UInt8](handle.readData(ofLength: 32))
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        func word(_ at: Int) -> UInt32 { header.count >= at + 4 ? header[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) } : 0 }
        return "\(size) bytes, change counter \(word(24)), \(word(28)) pages"
    }

    /// Where the layer `name` must be read for a slice whose tiles lie in `band`: the band, and
    /// for the `b` layer of an `outside` rule also as far as the index boxes of the `a` layer
    /// that meet the band reach.
    static func readBox(of name: String, band: Envelope, indexed: [IndexedLayer], rules: [ConflictRule]) throws -> Envelope {
        var box = band
        guard !band.isEmpty else { return box }
        for rule in rules where rule.relation == .outside && rule.b.layer == name {
            guard let a = indexed.first(where: { $0.definition.name == rule.a.layer }) else { continue }
            let reach = try a.file.indexBounds(a.index, meeting: band)
            if !reach.isEmpty { box.expand(toInclude: reach) }
        }
        return box
    }

    /// Slice 1's facts of the whole table of `layer`: its rows, the code patterns that match no
    /// value of its class field (one pass over the table for both), and its `id_field`.
    mutating func checkWholeTable(of layer: IndexedLayer) throws {
        let (definition, file, table) = (layer.definition, layer.file, layer.index.table)
        if let field = definition.classField, let counts = try file.valueCounts(of: table, column: field) {
            layerRows[definition.name] = counts.reduce(0) { $0 + $1.rows }
            let samples = counts.compactMap(\.value).enumerated().map { n, code in
                Feature(id: .int(Int64(n)), geometry: nil, attributes: [Attribute(field, .string(code))])
            }
            unmatchedPatterns[definition.name] = LayerClassifier(definition: definition).classify(samples).unmatchedPatterns
        } else {
            layerRows[definition.name] = try file.rowCount(of: table)
        }
        if let field = definition.idField {
            try Self.checkIdentifiers(file, table: table, field: field, path: layer.path, layer: definition.name)
        }
    }

    /// `FeatureIdentifiers.make`'s check over a whole table: every row has a value of `field`,
    /// and no two rows the same (rows the check would reject included: stricter, never laxer).
    static func checkIdentifiers(_ file: GeoPackageFile, table: String, field: String, path: String, layer: String) throws {
        guard let problems = try file.identifierProblems(of: table, field: field) else {
            throw FeatureIdentifiers.absentField(field, names: try file.columnNames(of: table), path: path, layer: layer)
        }
        let missing = problems.missing.map { FeatureID.int($0) }
        let repeated = problems.repeated.map { (value: $0.value, ids: $0.fids.map { FeatureID.int($0) }) }
        if let failure = FeatureIdentifiers.failure(field: field, missing: missing, repeated: repeated, path: path, layer: layer) {
            throw failure
        }
    }
}

extension ClassificationReport {
    /// `diagnostics(path:)` as lines. A slice reading by region (`regionRead`) classified only
    /// the features it owns: its line on unclassified features says so (the merged run lists
    /// each slice's); its unmatched patterns are already the whole table's
    /// (`LayerPreparation.classificationWarnings`).
    func sliceDiagnostics(path: String, regionRead: Bool) -> [String] {
        guard regionRead, !unclassified.isEmpty, !fieldMissingEverywhere else { return diagnostics(path: path).map(\.description) }
        var patterns = self
        patterns.unclassified = []
        var own = self
        own.unmatchedPatterns = []
        let ownLines = own.diagnostics(path: path).map { $0.description + " (this --tile slice's own features)" }
        return patterns.diagnostics(path: path).map(\.description) + ownLines
    }
}
