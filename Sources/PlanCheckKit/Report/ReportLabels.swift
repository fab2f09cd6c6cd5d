/// The words of the HTML reports (overlay and assess) in Chinese (default) or English.
struct ReportLabels {
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
        "engine": ("叠加内核", "Overlay engine"),
        "versions": ("软件版本", "Versions"),
        "time": ("用时", "Time"),
        "warnings": ("警告", "Warnings"),
        "layers": ("图层", "Layers"),
        "classPairs": ("按类别组合统计", "By class pair"),
        "largest": ("最大图斑（前 10）", "Largest patches (top 10)"),
        "aCodeShort": ("甲代码", "a code"),
        "bCodeShort": ("乙代码", "b code"),
        "none": ("（无）", "(none)"),
        "rank": ("序号", "Rank"),
        "showItem": ("显示事项", "Show item"),
        "page": ("页", "page"),
        "rows": ("行", "rows"),
        "lodNote": ("显示简化（仅用于绘图，数据与统计未简化）：%1 个要素，顶点 %2 → %3（舍去相距不足 0.5 像素的顶点）；%4 个小于 1 像素的要素以 1 像素方块表示，仍列于清单中；%5 个小于 1 像素的图层要素未绘出。", "Simplified for display only (the data and figures are not): %1 features, vertices %2 → %3 (vertices closer than 0.5 px dropped); %4 features smaller than a pixel are drawn as 1-pixel squares and stay in the list; %5 layer features smaller than a pixel are not drawn."),
        "assessTitle": ("区域评估报告", "Regional assessment report"),
        "assessMap": ("评估分区图", "Map of outcome zones"),
        "run": ("评估批次", "Run"),
        "registry": ("登记库", "Registry"),
        "runAt": ("评估时间", "Run at"),
        "issuedBy": ("发布机关", "Issued by"),
        "region": ("评估区域", "Region"),
        "regions": ("评估区域", "Regions"),
        "regionName": ("区域名称", "Region name"),
        "item": ("评估事项", "Item"),
        "itemTitle": ("事项名称", "Item title"),
        "validFrom": ("有效期起", "Valid from"),
        "validUntil": ("有效期止", "Valid until"),
        "outcome": ("评估结论", "Outcome"),
        "source": ("分区依据", "Source"),
        "condition": ("适用条件", "Condition"),
        "excluded": ("负面清单", "Excluded project types"),
        "regionArea": ("区域面积", "Region area"),
        "byRegionItem": ("按区域与事项统计（椭球面积，公顷）", "By region and item (ellipsoidal area, ha)"),
        "byRegionItemMu": ("按区域与事项统计（椭球面积，亩）", "By region and item (ellipsoidal area, 亩)"),
        "items": ("评估事项与条件", "Items and conditions"),
        "zoneList": ("评估分区清单", "Zone list"),
        "zoneId": ("分区", "Zone"),
        "reuse": ("免于评估", "reuse"),
        "conditional": ("告知承诺", "conditional"),
        "individual": ("单独评估", "individual"),
        "prohibited": ("禁止建设", "prohibited"),
        "libraries": ("软件库", "Libraries"),
        "minAreaQuery": ("碎片阈值（平方米）", "Sliver threshold (m²)"),
    ]

    subscript(_ key: String) -> String {
        guard let entry = Self.table[key] else { return key }
        return language == .zh ? entry.zh : entry.en
    }

    func severity(_ name: String) -> String { self[name] }

    /// The words the script writes itself (the pager).
    var forScript: [String: String] {
        Dictionary(uniqueKeysWithValues: ["page", "rows"].map { ($0, self[$0]) })
    }

    /// `text` with `%1`, `%2` … replaced by `values`.
    func format(_ key: String, _ values: [String]) -> String {
        var text = self[key]
        for (i, v) in values.enumerated().reversed() { text = text.replacingOccurrences(of: "%\(i + 1)", with: v) }
        return text
    }
}
