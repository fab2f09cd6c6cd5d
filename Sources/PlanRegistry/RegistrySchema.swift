import PlanStore

/// The registry's tables, on top of the GeoPackage's own:
///
/// | table | kind | one row per |
/// |---|---|---|
/// | `regions` | features (MultiPolygon) | assessed region per run |
/// | `zones` | features (MultiPolygon) | outcome zone of a region's item per run |
/// | `assessment_runs` | attributes | `plan-check assess` run: provenance |
/// | `assessment_inputs` | attributes | input file of a run, with its SHA-256 |
/// | `assessment_items` | attributes | item of a region per run: validity, conditions, exclusions |
/// | `registry_info` | attributes | setting (`schema_version`) |
///
/// `regions`, `zones` and `assessment_items` rows carry `superseded_by_run` and `superseded_at`,
/// NULL while they are current.
public enum RegistrySchema {
    /// The version of these tables; a registry of another version is refused.
    public static let version = 1

    /// Creates the tables and indexes unless the file has them already. Runs inside the caller's
    /// transaction.
    static func create(in writer: GeoPackageWriter, srsID: Int32) throws {
        let database = try writer.database()
        let existing = try database.scalar("SELECT count(*) FROM gpkg_contents WHERE table_name = 'assessment_runs'")
        if existing == .integer(1) { return }
        let superseded: [(String, GeoPackageWriter.ColumnType)] = [("superseded_by_run", .integer), ("superseded_at", .dateTime)]
        let areas: [(String, GeoPackageWriter.ColumnType)] = [
            ("area_m2", .real), ("area_ellipsoidal_m2", .real), ("area_ha", .real), ("area_mu", .real),
        ]
        try writer.createAttributeTable(
            name: "registry_info", columns: [("key", .text, "NOT NULL UNIQUE"), ("value", .text, "")],
            description: "plan-check registry settings")
        try database.execute("INSERT INTO registry_info (key, value) VALUES ('schema_version', '\(version)'), ('written_by', 'plan-check')")
        try writer.createAttributeTable(
            name: "assessment_runs",
            columns: [
                ("run_at", .dateTime, "NOT NULL"), ("issued_by", .text, ""), ("rules_path", .text, "NOT NULL"),
                ("rules_sha256", .text, "NOT NULL"), ("rules_yaml", .text, "NOT NULL"), ("regions_path", .text, "NOT NULL"),
                ("regions_sha256", .text, "NOT NULL"), ("working_crs", .text, "NOT NULL"), ("min_area_m2", .real, "NOT NULL"),
                ("plan_check_version", .text, "NOT NULL"), ("libraries", .text, ""),
            ],
            description: "plan-check assess runs: who issued them, from which rules and files, when")
        try writer.createAttributeTable(
            name: "assessment_inputs",
            columns: [
                ("run_id", .integer, "NOT NULL REFERENCES assessment_runs(id)"), ("layer", .text, "NOT NULL"),
                ("path", .text, "NOT NULL"), ("sha256", .text, "NOT NULL"), ("features_read", .integer, ""),
                ("features_repaired", .integer, ""), ("features_rejected", .integer, ""),
            ],
            description: "input files of each run with their SHA-256")
        try writer.createFeatureTable(
            name: "regions", srsID: srsID,
            columns: [("run_id", .integer), ("region_id", .text), ("name", .text)] + areas + superseded,
            description: "assessed regions (区域评估范围), every run; current rows have superseded_by_run NULL")
        try writer.createAttributeTable(
            name: "assessment_items",
            columns: [
                ("run_id", .integer, "NOT NULL REFERENCES assessment_runs(id)"), ("region_id", .text, "NOT NULL"),
                ("item_id", .text, "NOT NULL"), ("title", .text, ""), ("issued_by", .text, ""),
                ("valid_from", .date, "NOT NULL"), ("valid_until", .date, "NOT NULL"), ("default_outcome", .text, "NOT NULL"),
                ("conditions", .text, ""), ("excluded_project_types", .text, ""), ("constraint_layers", .text, ""),
                ("min_area_m2", .real, "NOT NULL"), ("superseded_by_run", .integer, ""), ("superseded_at", .dateTime, ""),
            ],
            description: "assessment items of each region: validity, conditions, excluded project types (负面清单)")
        try writer.createFeatureTable(
            name: "zones", srsID: srsID,
            columns: [
                ("run_id", .integer), ("region_id", .text), ("item_id", .text), ("outcome", .text),
                ("outcome_rank", .integer), ("source", .text), ("condition", .text),
            ] + areas + superseded,
            description: "outcome zones of each region's items (reuse, conditional, individual, prohibited)")
        try database.execute(
            """
            CREATE INDEX regions_current ON regions (region_id, superseded_by_run);
            CREATE INDEX items_current ON assessment_items (region_id, item_id, superseded_by_run);
            CREATE INDEX zones_current ON zones (region_id, item_id, superseded_by_run);
            CREATE INDEX inputs_run ON assessment_inputs (run_id);
            """)
    }

    /// Throws unless the file is a registry of this version, or a GeoPackage without one yet.
    static func checkIsRegistry(_ database: Database, path: String) throws {
        let tables = Set(try database.rows("SELECT table_name FROM gpkg_contents").compactMap { $0[0].text })
        if tables.contains("registry_info") {
            let version = try database.scalar("SELECT value FROM registry_info WHERE key = 'schema_version'")?.text
            guard version == String(Self.version) else {
                throw StoreError(kind: .malformedGeoPackage,
                                 message: "registry schema version \(version ?? "unknown"); this plan-check reads version \(Self.version)",
                                 path: path)
            }
            return
        }
        let clash = tables.intersection(["regions", "zones", "assessment_runs", "assessment_items", "assessment_inputs"])
        guard clash.isEmpty else {
            throw StoreError(kind: .malformedGeoPackage,
                             message: "this GeoPackage is not a plan-check registry but has tables named like one (\(clash.sorted().joined(separator: ", ")))",
                             path: path)
        }
    }
}
