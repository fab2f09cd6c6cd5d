import Foundation
import PlanModel

extension InspectReport {
    /// The report as text for a terminal: one block per layer, the figures a planner looks for.
    public func text(maxListed: Int = 20) -> String {
        var out = ""
        for layer in layers {
            out += layer.text(maxListed: maxListed)
            out += "\n"
        }
        return out
    }
}

extension LayerInspection {
    func text(maxListed: Int) -> String {
        var lines: [String] = []
        lines.append("\(path): layer '\(layer)' (\(format))")
        var crsLine = "\(crs.identifier ?? "(no authority code)")  \(crs.name)"
        crsLine += crs.geographic ? " (geographic" : " (projected"
        crsLine += ", unit \(crs.unit)"
        if let e = crs.ellipsoid { crsLine += ", ellipsoid \(e)" }
        crsLine += ")"
        if crs.assumedRFC7946 {
            crsLine += " — none declared, RFC 7946 assumed"
        } else if let assumed = crs.assumed {
            crsLine += " — none declared, assumed by \(assumed)"
        } else if let declared = crs.declared {
            crsLine += " — declared \(declared)"
        }
        lines.append(row("CRS", crsLine))
        lines.append(row("encoding", encoding.text))
        let types = geometryTypes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        var featureLine = "\(featureCount) (\(types.isEmpty ? "none" : types))"
        if let declared = declaredGeometryType { featureLine += "; declared \(declared)" }
        lines.append(row("features", featureLine))
        if let e = extent {
            let d = crs.geographic ? 8 : 3
            lines.append(row("extent", "\(fixed(e[0], d)) \(fixed(e[1], d)) — \(fixed(e[2], d)) \(fixed(e[3], d)) (\(crs.unit))"))
        } else {
            lines.append(row("extent", "none (no geometry)"))
        }
        lines.append(row("fields", fields.isEmpty ? "none" : fields.map { "\($0.name) \($0.type)" }.joined(separator: ", ")))
        if droppedZOrM { lines.append(row("note", "Z/M values present; plan-check keeps x and y only")) }
        lines.append(row("problems", problems.isEmpty ? "none" : "\(problems.count)"))
        for p in problems.prefix(maxListed) {
            var text = "feature \(p.featureId.id): \(p.kind): \(p.reason)"
            if let at = p.location { text += " at (\(formatCoordinate(at[0])), \(formatCoordinate(at[1])))" }
            lines.append(row("", text))
        }
        if problems.count > maxListed { lines.append(row("", "… \(problems.count - maxListed) more (see --json)")) }
        lines.append(row("repaired", "\(repaired.count)"))
        for r in repaired.prefix(maxListed) {
            lines.append(row("", "feature \(r.featureId.id): \(r.actions.joined(separator: "; ")); planar area \(grouped(r.areaBefore, 3)) → \(grouped(r.areaAfter, 3)) (\(signed(r.areaChange)))"))
        }
        if repaired.count > maxListed { lines.append(row("", "… \(repaired.count - maxListed) more (see --json)")) }
        lines.append(row("rejected", "\(rejected.count) (policy --invalid \(invalidPolicy))"))
        for r in rejected.prefix(maxListed) {
            lines.append(row("", "feature \(r.featureId.id): \(r.reasons.joined(separator: "; "))"))
        }
        if rejected.count > maxListed { lines.append(row("", "… \(rejected.count - maxListed) more (see --json)")) }
        lines.append(row("kept", "\(featuresKept) of \(featureCount)"))
        if let a = area {
            if let planar = a.planarM2, let ha = a.planarHa, let mu = a.planarMu {
                lines.append(row("area", "planar      \(grouped(planar, 2)) m² = \(grouped(ha, 4)) ha = \(grouped(mu, 2)) 亩"))
            } else {
                lines.append(row("area", "planar      n/a (geographic CRS)"))
            }
            lines.append(row(a.planarM2 == nil ? "area" : "", "ellipsoidal \(grouped(a.ellipsoidalM2, 2)) m² = \(grouped(a.ellipsoidalHa, 4)) ha = \(grouped(a.ellipsoidalMu, 2)) 亩"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func row(_ label: String, _ text: String) -> String {
        "  " + label.padding(toLength: 10, withPad: " ", startingAt: 0) + " " + text
    }

    private func fixed(_ value: Double, _ decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }

    private func signed(_ value: Double) -> String {
        (value >= 0 ? "+" : "") + grouped(value, 3)
    }
}
