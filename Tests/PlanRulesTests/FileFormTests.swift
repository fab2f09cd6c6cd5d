import Foundation
import Testing
@testable import PlanRules

/// How the file is written (line endings, BOM, repeated keys, null layers) does not change what is read.
@Suite struct FileFormTests {
    @Test func windowsLineEndingsAndBOMKeepLineNumbers() throws {
        let crlf = "\u{FEFF}" + validYAML.replacingOccurrences(of: "\n", with: "\r\n")
        let rules = try RuleSetLoader.load(yaml: crlf, path: "rules.yaml")
        #expect(rules.layers.map(\.name) == ["landuse", "urban", "farmland"])
        #expect(rules.layer(named: "urban")?.line == 9)
        #expect(rules.rules.map(\.line) == [16, 21])

        let bad = crlf.replacingOccurrences(of: "    severity: major\r\n", with: "    severity: major\r\n    severity: minor\r\n")
        #expect(diagnostics(bad).map(\.description) == ["rules.yaml:18:5: error: duplicate key 'severity' in rule 'A' (first at line 17)"])
    }

    @Test func repeatedTopLevelKey() {
        let found = diagnostics(validYAML(replacingLine: 1, with: "version: 1\nversion: 1"))
        #expect(found.map(\.description) == ["rules.yaml:2:1: error: duplicate key 'version' at the top level (first at line 1)"])
    }

    @Test func repeatedKeyInAFlowMappingStopsAtTheFirst() {
        let found = diagnostics("version: 1\nlayers: {a: 1, a: 2}\nrules: []\n")
        #expect(found.map(\.description) == ["rules.yaml:2:10: error: duplicate key 'a' in one mapping"])
    }

    @Test func layerWithoutSettingsIsAllowed() throws {
        let rules = try RuleSetLoader.load(yaml: validYAML(replacingLine: 14, with: ""), path: "rules.yaml")
        let farmland = try #require(rules.layer(named: "farmland"))
        #expect(farmland.path == nil && farmland.classField == nil && farmland.line == 13)
    }

    @Test func fileOnDiskReportsItsOwnPath() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("planrules-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("rules.yaml")
        try validYAML(replacingLine: 17, with: "    severity: hgih").write(to: file, atomically: true, encoding: .utf8)
        #expect {
            try RuleSetLoader.load(path: file.path)
        } throws: { error in
            (error as? RuleSetError)?.description
                == "\(file.path):17:15: error: unknown severity 'hgih' in rule 'A' (allowed: critical, major, minor)"
        }
        try Data([0x76, 0xFF, 0xFE, 0x0A]).write(to: file)
        #expect {
            try RuleSetLoader.load(path: file.path)
        } throws: { error in
            guard case .unreadable(_, let reason) = error as? RuleSetError else { return false }
            return reason == "it is not UTF-8 text"
        }
    }
}
