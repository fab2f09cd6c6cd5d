import Foundation
import Testing
import PlanCRS
import PlanGeometry
import PlanLayers
import PlanModel
import PlanOutput
import PlanStore
@testable import PlanCheckKit

/// Every error type plan-check declares chooses its exit status itself (``PlanCheckFailure``), so
/// none can fall into exit 70 unnoticed.
@Suite struct ExitStatusMappingTests {
    /// The declarations in Sources: every type with its inheritance list, and every extension's
    /// conformances, by the type's last name component.
    static func declarations() throws -> (types: [(name: String, inherits: [String], file: String)], extensions: [String: [String]]) {
        let sources = URL(fileURLWithPath: Repo.path("Sources"))
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
        let typeDeclaration = #/(?m)^\s*(?:(?:public|internal|fileprivate|private|final) )*(?:struct|enum|class|actor)\s+(\w+)\s*:\s*([^{]*)\{/#
        let extensionDeclaration = #/(?m)^\s*(?:(?:public|internal|fileprivate|private) )*extension\s+([\w.]+)\s*:\s*([^{]*)\{/#
        func list(_ text: Substring) -> [String] {
            text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        var types: [(String, [String], String)] = []
        var extensions: [String: [String]] = [:]
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: typeDeclaration) {
                types.append((String(match.output.1), list(match.output.2), file.lastPathComponent))
            }
            for match in text.matches(of: extensionDeclaration) {
                let name = String(match.output.1.split(separator: ".").last ?? "")
                extensions[name, default: []] += list(match.output.2)
            }
        }
        return (types, extensions)
    }

    @Test func everyErrorTypeInSourcesChoosesItsExitStatus() throws {
        let (types, extensions) = try Self.declarations()
        let errors = types.filter { $0.inherits.contains("Error") || $0.inherits.contains("PlanCheckFailure") }
        // The scan must find the error types it is meant to guard, or it guards nothing.
        for known in ["GeometryError", "CRSError", "StoreError", "WKBError", "LayerReadError", "RuleSetError", "RequestError"] {
            #expect(errors.contains { $0.name == known }, "the scan did not find \(known)")
        }
        for error in errors {
            let conformances = error.inherits + (extensions[error.name] ?? [])
            #expect(conformances.contains("PlanCheckFailure"),
                    "\(error.name) (\(error.file)) is an Error but not a PlanCheckFailure: it would exit 70 whatever it means")
        }
    }

    @Test func eachModulesErrorsGiveTheirDocumentedStatus() {
        let cases: [(any Error, ExitStatus)] = [
            (GeometryError.input(GeometryInputProblem(kind: .ringNotClosed)), .dataError),
            (GeometryError.library(operation: "GEOSIntersection_r", message: "TopologyException"), .software),
            (CRSError(kind: .unknownCRS, operation: "parse", message: "crs not found"), .dataError),
            (CRSError(kind: .library, operation: "create a PROJ context", message: "out of memory"), .software),
            (StoreError(kind: .sqlite, resultCode: 5, message: "database is locked"), .temporaryFailure),
            (FeatureStoreError(path: "/tmp/plan-check-store-1-2.sqlite", underlying: StoreError(kind: .sqlite, resultCode: 13, message: "database or disk is full")), .cannotWrite),
            (StoreError(kind: .fileNotFound, message: "no such file"), .noInput),
            (StoreError(kind: .notAGeoPackage, message: "not one"), .dataError),
            (StoreError(kind: .sqlite, resultCode: 11, message: "malformed"), .software),
            (WKBError(offset: 0, kind: .invalidByteOrder(7)), .dataError),
            (LayerReadError.fileNotFound(path: "a.geojson"), .noInput),
            (LayerReadError.syntax(path: "a.geojson", line: 1, column: 2, message: "x"), .dataError),
            (OutputFileError(path: "out.geojson", operation: .write, code: 28), .cannotWrite),
            (LayerFailure(path: "a.geojson", layer: "a", underlying: CRSError(kind: .noTransformation, operation: "x", message: "y")), .dataError),
            (SiteError("no area"), .dataError),
            (QueryDeadline.Exceeded(seconds: 1, step: "x"), .temporaryFailure),
            (MergeError(.missingFile, path: "s1.json", "x"), .noInput),
            (MergeError(.notASliceSummary, path: "s1.json", "x"), .dataError),
            (MergeError(.mismatch, path: "s1.json", "x"), .dataError),
            (MergeError(.patchFile, path: "s1.geojson", "x"), .dataError),
            (MergeError(.sliceMissing, path: "s1.json", "x"), .usage),
            (MergeError(.sliceGivenTwice, path: "s1.json", "x"), .usage),
            (MergeError(.usage, path: "m.gpkg", "x"), .usage),
        ]
        for (error, status) in cases {
            #expect(Failure(error).status == status, "\(type(of: error)): \(error)")
        }
        // Only an error from outside plan-check is 70 without saying so.
        #expect(Failure(CocoaError(.fileReadUnknown)).status == .software)
    }
}
