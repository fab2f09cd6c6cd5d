extension OverlayReport {
    /// The report's words in Chinese (default) or English.
    struct Labels {
        let language: ReportLanguage

        init(_ language: ReportLanguage) { self.language = language }

        static let table: [String: (zh: String, en: String)] = [
            "title": ("差异图斑报告", "Discrepancy patch report"),
            "map": ("差异图斑分布图", "Map of discrepancy patches"),
            "rules": ("规则集", "Rule set"),
            "rulesHash": ("规则集哈希", "Rule set hash"),
            "crs": ("坐标系", "CRS"),
            "patches": ("差异图斑", "Patches"),
            "legend": ("图例", "Legend"),
            "scaleBar": ("比例尺", "Scale"),
            "north": ("指北针", "North"),
            "reset": ("全图", "Full view"),
            "clickHint": ("点击或悬停图斑查看属性。滚轮缩放，拖动平移。", "Click or hover a patch to see its properties. Wheel to zoom, drag to pan."),
            "critical": ("严重", "critical"),
            "major": ("较重", "major"),
            "minor": ("一般", "minor"),
            "all": ("全部", "all"),
            "byRule": ("按规则统计", "By rule"),
            "rule": ("规则", "Rule"),
            "title_": ("名称", "Title"),
            "severity": ("严重程度", "Severity"),
            "relation": ("关系", "Relation"),
            "areaM2": ("面积（平方米）", "Area (m²)"),
            "areaHa": ("面积（公顷）", "Area (ha)"),
            "areaMu": ("面积（亩）", "Area (亩, mu)"),
            "areaEllipsoidalM2": ("椭球面积（平方米）", "Ellipsoidal area (m²)"),
            "dissolvedM2": ("融合面积（平方米）", "Dissolved area (m²)"),
            "minArea": ("碎片阈值（平方米）", "Sliver threshold (m²)"),
            "sliversDropped": ("剔除碎片数", "Slivers dropped"),
            "sliverArea": ("碎片面积（平方米）", "Sliver area (m²)"),
            "byDistrict": ("按行政区统计", "By district"),
            "district": ("行政区", "District"),
            "districts": ("行政区", "Districts"),
            "allRules": ("全部规则", "All rules"),
            "outside": ("行政区以外", "Outside every district"),
            "total": ("合计", "Total"),
            "patchList": ("差异图斑清单", "Patch list"),
            "id": ("图斑编号", "Id"),
            "aClass": ("甲图层 / 类别", "Layer a / class"),
            "aCode": ("甲用地代码", "Code a"),
            "bClass": ("乙图层 / 类别", "Layer b / class"),
            "bCode": ("乙用地代码", "Code b"),
            "provenance": ("数据来源", "Provenance"),
            "layer": ("图层", "Layer"),
            "path": ("文件", "File"),
            "format": ("格式", "Format"),
            "sourceCrs": ("原坐标系", "Source CRS"),
            "sha256": ("SHA-256", "SHA-256"),
            "read": ("读取要素", "Read"),
            "kept": ("保留要素", "Kept"),
            "repaired": ("修复要素", "Repaired"),
            "rejected": ("拒绝要素", "Rejected"),
            "invalidPolicy": ("无效要素处理", "Invalid features"),
            "gridSize": ("网格精度", "Grid size"),
            "versions": ("软件版本", "Versions"),
            "time": ("用时", "Time"),
            "warnings": ("警告", "Warnings"),
        ]

        subscript(_ key: String) -> String {
            guard let entry = Self.table[key] else { return key }
            return language == .zh ? entry.zh : entry.en
        }

        func severity(_ name: String) -> String { self[name] }

        /// The labels the script shows in the info panel.
        var forScript: [String: String] {
            Dictionary(uniqueKeysWithValues: ["id", "rule", "severity", "aClass", "aCode", "bClass", "bCode", "areaM2", "areaHa", "areaMu", "areaEllipsoidalM2"]
                .map { ($0, self[$0]) })
        }
    }
}
