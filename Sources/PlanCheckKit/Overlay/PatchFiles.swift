#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import PlanCRS
import PlanGDAL
import PlanModel
import PlanOutput
import PlanStore

/// The file formats of `--out`, chosen by its extension.
public enum PatchFormat: String, Sendable, CaseIterable {
    /// `.geojson`, `.json` and `-` (standard output): streamed while the overlay runs.
    case geoJSON = "GeoJSON"
    /// `.gpkg`: one feature table `patches` with an R-tree and a QGIS style (`layer_styles`).
    case geoPackage = "GeoPackage"
    /// `.shp`: through GDAL, with `.shx`, `.dbf`, `.prj`, `.cpg` and `NAME.fields.csv`.
    case shapefile = "Shapefile"
    /// `.gdb`: a File Geodatabase folder through GDAL's OpenFileGDB driver.
    case fileGeodatabase = "File Geodatabase"

    /// The extensions `--out` knows, for messages.
    public static let knownExtensions = [".geojson", ".json", ".gpkg", ".shp", ".gdb"]

    /// The name `--out-encoding` stands for as GDAL takes it (`gbk` → `GBK`, `936` → `CP936`),
    /// or nil when the system's iconv does not know it.
    public static func canonicalEncoding(_ name: String) -> String? { TextEncodingName.canonical(name) }

    /// The format of `path` by its extension (case-insensitive); `-` is GeoJSON.
    /// - Throws: `OverlayUsageError` (exit 64) for any other extension.
    public init(path: String) throws {
        if path == OutputPath.standardOutputName { self = .geoJSON; return }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let ext = name.lastIndex(of: ".").map { String(name[$0...]).lowercased() } ?? ""
        switch ext {
        case ".geojson", ".json": self = .geoJSON
        case ".gpkg": self = .geoPackage
        case ".shp": self = .shapefile
        case ".gdb": self = .fileGeodatabase
        default:
            throw OverlayUsageError(message: "--out \(path): plan-check writes patches as \(Self.knownExtensions.joined(separator: ", ")) (chosen by the extension), not '\(ext.isEmpty ? "no extension" : ext)'")
        }
    }
}

/// A patches file in a format that is written after the overlay (GeoPackage, Shapefile, File
/// Geodatabase), staged in a hidden folder beside its target and moved into place on commit.
///
/// The staging folder is `.<name>.plan-check-<pid>-<random>-<host>.tmp/` (so a killed run's is
/// removed by the next run, `OutputPath.removeStaleTemporaries()`); the files are made inside it
/// under their final names. `commit()` renames them onto their targets: the GeoPackage file; the
/// Shapefile's `.shp`, `.shx`, `.dbf`, `.prj`, `.cpg` and `.fields.csv` one after another; the
/// `.gdb` folder after moving an earlier one aside (a folder cannot be renamed over a folder
/// that has files), which is removed once the new one is in place. Stays on one task.
final class StagedPatchFile {
    let format: PatchFormat
    let output: OutputPath
    /// `--out-encoding` for a Shapefile: "UTF-8" or a name GDAL's recoder knows (GBK, CP936 …).
    let encoding: String
    private var staging: String?

    init(format: PatchFormat, output: OutputPath, encoding: String) {
        self.format = format
        self.output = output
        self.encoding = encoding
    }

    deinit { discard() }

    private var target: String { output.target ?? output.path }
    private var name: String { String(target.split(separator: "/").last ?? Substring(target)) }
    private var stem: String { String(name[..<(name.lastIndex(of: ".") ?? name.endIndex)]) }
    private var folderPrefix: String {
        target.lastIndex(of: "/").map { String(target[...$0]) } ?? ""
    }

    /// Writes `table` (in `crs`) into the staging folder.
    /// - Throws: `OutputFileError` (the staging folder), `StoreError` (GeoPackage), `GDALError`.
    func write(_ table: PatchTable, crs: CRSDescription, crsContext: CRSContext) throws {
        let folder = output.makeTemporaryPath()
        guard mkdir(folder, 0o777) == 0 else {
            throw OutputFileError(path: output.path, temporaryPath: folder, operation: .create, code: errno)
        }
        staging = folder
        switch format {
        case .geoJSON: preconditionFailure("GeoJSON patches are streamed")
        case .geoPackage: try writeGeoPackage(table, to: folder + "/" + name, crs: crs, crsContext: crsContext)
        case .shapefile: try writeShapefile(table, in: folder, crs: crs)
        case .fileGeodatabase: try writeFileGeodatabase(table, to: folder + "/" + name, crs: crs)
        }
    }

    /// The files made, each with its target.
    private func moves() -> [(from: String, to: String)] {
        guard let staging else { return [] }
        switch format {
        case .shapefile:
            return ShapefileNames.companions.map { ext in (staging + "/" + stem + ext, folderPrefix + stem + ext) }
                .filter { access($0.from, F_OK) == 0 }
        default:
            return [(staging + "/" + name, target)]
        }
    }

    /// Moves the staged files onto their targets and removes the staging folder.
    /// - Throws: `OutputFileError` (`.rename`); the staging folder is then removed.
    func commit() throws {
        guard let staging else { return }
        defer { discard() }
        for move in moves() {
            if format == .fileGeodatabase, access(move.to, F_OK) == 0 {
                let aside = staging + "/.replaced"
                guard rename(move.to, aside) == 0 else {
                    throw OutputFileError(path: output.path, temporaryPath: move.from, operation: .rename, code: errno)
                }
                if rename(move.from, move.to) != 0 {
                    let code = errno
                    _ = rename(aside, move.to)
                    throw OutputFileError(path: output.path, temporaryPath: move.from, operation: .rename, code: code)
                }
                continue
            }
            guard rename(move.from, move.to) == 0 else {
                throw OutputFileError(path: output.path, temporaryPath: move.from, operation: .rename, code: errno)
            }
        }
        let fd = open(folderPrefix.isEmpty ? "." : folderPrefix, O_RDONLY | O_CLOEXEC)
        if fd >= 0 { _ = fsync(fd); close(fd) }
    }

    /// Removes the staging folder and what is left in it.
    func discard() {
        if let staging { OutputPath.removeTree(staging) }
        staging = nil
    }

    // MARK: Formats

    private func writeGeoPackage(_ table: PatchTable, to path: String, crs: CRSDescription, crsContext: CRSContext) throws {
        let writer = try GeoPackageWriter(path: path, create: true)
        defer { writer.close() }
        let srs = try PatchSRS(crs, crsContext)
        try writer.addSpatialReference(srsID: srs.id, name: crs.name, organization: srs.organization,
                                       organizationCode: srs.id, definition: srs.wkt1)
        let tableName = "patches"
        try writer.transaction {
            try writer.createFeatureTable(
                name: tableName, geometryType: "MULTIPOLYGON", srsID: srs.id,
                columns: table.columns.map { column in (column.name, Self.columnType(column.type)) },
                identifier: "discrepancy_patches", description: "Discrepancy patches (差异图斑) written by plan-check overlay")
            for row in table.rows {
                _ = try writer.insert(table: tableName, geometry: row.geometry, values: row.values.map { value in
                    switch value {
                    case .integer(let n): .integer(n)
                    case .double(let d): .real(d)
                    case .string(let s): .text(s)
                    default: .null
                    }
                })
            }
            try writer.updateExtent(table: tableName)
            try QGISStyle.add(to: writer, table: tableName)
        }
        // A plain rollback-journal file, as GDAL writes one: no -wal or -shm beside it later.
        try writer.database().execute("PRAGMA journal_mode = DELETE")
    }

    private func writeShapefile(_ table: PatchTable, in folder: String, crs: CRSDescription) throws {
        let names = ShapefileNames.short(table.columns.map(\.name), encoding: encoding)
        let fields = zip(names, table.columns).map { GDALFieldDefinition(name: $0, type: Self.fieldType($1.type)) }
        let writer = try GDALVectorWriter(
            driver: "ESRI Shapefile", path: folder + "/" + stem + ".shp", layerName: stem, srsWKT: Self.gdalCRS(crs),
            fields: fields, layerOptions: ["ENCODING=\(encoding)", "RESIZE=NO"])
        for row in table.rows { try writer.add(wkb: WKB.encode(row.geometry), values: row.values) }
        try writer.close()
        var csv = "short_name,full_name\r\n"
        for (short, column) in zip(names, table.columns) { csv += "\(ShapefileNames.csvField(short)),\(ShapefileNames.csvField(column.name))\r\n" }
        let file = try OutputFile(OutputPath(folder + "/" + stem + ".fields.csv", dashIsStandardOutput: false))
        try file.write(csv)
        try file.complete()
        try file.commit()
    }

    private func writeFileGeodatabase(_ table: PatchTable, to path: String, crs: CRSDescription) throws {
        let names = ShapefileNames.geodatabase(table.columns.map(\.name))
        // FileGDB's integers are 32-bit in GDAL 3.6's OpenFileGDB: wider ones go as reals.
        let fields = zip(names, table.columns).map { name, column in
            GDALFieldDefinition(name: name, type: column.type == .integer ? .integer32 : Self.fieldType(column.type))
        }
        let wide = table.columns.indices.filter { k in
            table.columns[k].type == .integer && table.rows.contains { row in
                if case .integer(let n) = row.values[k] { return n < Int64(Int32.min) || n > Int64(Int32.max) }
                return false
            }
        }
        let finalFields = fields.enumerated().map { k, f in wide.contains(k) ? GDALFieldDefinition(name: f.name, type: .real) : f }
        let writer = try GDALVectorWriter(
            driver: "OpenFileGDB", path: path, layerName: "patches", srsWKT: Self.gdalCRS(crs), fields: finalFields)
        for row in table.rows {
            var values = row.values
            for k in wide { if case .integer(let n) = values[k] { values[k] = .double(Double(n)) } }
            try writer.add(wkb: WKB.encode(row.geometry), values: values)
        }
        try writer.close()
    }

    private static func columnType(_ type: PatchTable.ColumnType) -> GeoPackageWriter.ColumnType {
        switch type {
        case .integer: .integer
        case .real: .real
        case .text: .text
        }
    }

    private static func fieldType(_ type: PatchTable.ColumnType) -> GDALFieldDefinition.FieldType {
        switch type {
        case .integer: .integer
        case .real: .real
        case .text: .string
        }
    }

    /// The working CRS for GDAL: `EPSG:N` when it has that identifier, else its definition.
    private static func gdalCRS(_ crs: CRSDescription) -> String {
        if let id = crs.identifier, id.hasPrefix("EPSG:") { return id }
        return crs.definition
    }
}

@available(*, unavailable) extension StagedPatchFile: Sendable {}

/// The gpkg_spatial_ref_sys row of the working CRS: its EPSG code, or 100000 (organization
/// NONE) for a CRS without one, as the registry does.
struct PatchSRS {
    var id: Int32
    var organization: String
    var wkt1: String

    init(_ crs: CRSDescription, _ context: CRSContext) throws {
        wkt1 = try context.wkt1(of: crs)
        if let identifier = crs.identifier, identifier.hasPrefix("EPSG:"), let code = Int32(identifier.dropFirst(5)) {
            id = code
            organization = "EPSG"
        } else {
            id = 100_000
            organization = "NONE"
        }
    }
}

/// Field names for formats that limit them.
///
/// Shapefile (dBASE): at most 10 bytes in the file's encoding. Each full name has `.` replaced by
/// `_` and is cut at a character boundary to 10 bytes; a name already taken (compared without
/// case, as dBASE does) gets `_1`, `_2` … in place of its last characters. Names are given in
/// column order, so the mapping is the same for the same columns. It is written beside the
/// file as `NAME.fields.csv` (`short_name,full_name`, UTF-8).
///
/// File Geodatabase: letters, digits and `_` (anything else becomes `_`), not starting with a
/// digit, at most 64 characters, made unique the same way.
enum ShapefileNames {
    /// The files of a Shapefile output, by extension.
    static let companions = [".shp", ".shx", ".dbf", ".prj", ".cpg", ".fields.csv"]

    static func short(_ names: [String], encoding: String) -> [String] {
        let utf8 = encoding.uppercased().replacingOccurrences(of: "-", with: "") == "UTF8"
        return unique(names.map { $0.replacingOccurrences(of: ".", with: "_") }, limit: 10) { character in
            utf8 ? character.utf8.count : character.unicodeScalars.reduce(0) { $0 + ($1.isASCII ? 1 : 2) }
        }
    }

    static func geodatabase(_ names: [String]) -> [String] {
        let cleaned = names.map { name -> String in
            var out = String(name.map { c in c.isLetter || c.isNumber || c == "_" ? c : "_" })
            if out.first?.isNumber ?? true { out = "F" + out }
            return out
        }
        return unique(cleaned, limit: 64) { _ in 1 }
    }

    /// `names` cut to `limit` (in units of `size`), each different from the ones before it
    /// (ignoring case).
    static func unique(_ names: [String], limit: Int, size: (Character) -> Int) -> [String] {
        func cut(_ s: String, _ budget: Int) -> String {
            var out = ""
            var used = 0
            for c in s {
                let n = size(c)
                if used + n > budget { break }
                out.append(c)
                used += n
            }
            return out
        }
        var taken = Set<String>()
        var result: [String] = []
        for name in names {
            var candidate = cut(name, limit)
            var n = 1
            while taken.contains(candidate.uppercased()) {
                let suffix = "_\(n)"
                candidate = cut(name, limit - suffix.count) + suffix
                n += 1
            }
            taken.insert(candidate.uppercased())
            result.append(candidate)
        }
        return result
    }

    static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
