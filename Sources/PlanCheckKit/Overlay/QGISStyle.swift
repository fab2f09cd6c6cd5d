import PlanStore

/// The QGIS style of a patches GeoPackage: the table `layer_styles` as QGIS itself creates it
/// (registered in gpkg_contents as an attributes table, as QGIS does), with one row that QGIS
/// applies when the layer is opened (`useAsDefault` 1): patches filled by `severity`, critical
/// red, major orange, minor yellow, half transparent with a dark outline.
enum QGISStyle {
    static let name = "plan-check severity"

    /// (severity, label, fill colour as QGIS's "r,g,b,a").
    static let categories: [(value: String, label: String, color: String)] = [
        ("critical", "critical (严重)", "227,26,28,180"),
        ("major", "major (较重)", "255,127,0,180"),
        ("minor", "minor (一般)", "255,221,0,180"),
    ]

    static func add(to writer: GeoPackageWriter, table: String, geometryColumn: String = "geom") throws {
        try writer.createAttributeTable(
            name: "layer_styles",
            columns: [
                ("f_table_catalog", .text, ""), ("f_table_schema", .text, ""), ("f_table_name", .text, ""),
                ("f_geometry_column", .text, ""), ("styleName", .text, ""), ("styleQML", .text, ""),
                ("styleSLD", .text, ""), ("useAsDefault", .boolean, ""), ("description", .text, ""),
                ("owner", .text, ""), ("ui", .text, ""),
                ("update_time", .dateTime, "DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))"),
            ])
        try writer.database().execute(
            """
            INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName,
                styleQML, styleSLD, useAsDefault, description, owner, ui)
            VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', NULL)
            """,
            arguments: [.text(table), .text(geometryColumn), .text(name), .text(qml),
                        .text("Discrepancy patches coloured by severity")])
    }

    /// A categorized renderer on `severity`.
    static var qml: String {
        var categoryXML = ""
        var symbolXML = ""
        for (k, category) in categories.enumerated() {
            categoryXML += "      <category render=\"true\" symbol=\"\(k)\" value=\"\(category.value)\" label=\"\(category.label)\"/>\n"
            symbolXML += """
                  <symbol type="fill" name="\(k)" alpha="1" clip_to_extent="1" force_rhr="0">
                    <layer class="SimpleFill" enabled="1" locked="0" pass="0">
                      <Option type="Map">
                        <Option type="QString" name="color" value="\(category.color)"/>
                        <Option type="QString" name="outline_color" value="35,35,35,255"/>
                        <Option type="QString" name="outline_style" value="solid"/>
                        <Option type="QString" name="outline_width" value="0.26"/>
                        <Option type="QString" name="outline_width_unit" value="MM"/>
                        <Option type="QString" name="style" value="solid"/>
                      </Option>
                    </layer>
                  </symbol>

            """
        }
        return """
            <!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
            <qgis version="3.22.0" styleCategories="Symbology">
              <renderer-v2 type="categorizedSymbol" attr="severity" enableorderby="0" forceraster="0" symbollevels="0">
                <categories>
            \(categoryXML)    </categories>
                <symbols>
            \(symbolXML)    </symbols>
              </renderer-v2>
            </qgis>

            """
    }
}
