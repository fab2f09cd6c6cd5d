import Foundation
import PlanModel

/// The SVG map of an HTML report (overlay and assess): clickable shapes coloured by a CSS class,
/// drawn over the outlines of reference layers, with the legend beside the drawing (never over
/// it), a north arrow, a scale bar and the CRS. The page's script (report.js) zooms and pans it
/// and shows a shape's row of the embedded table when it is clicked.
///
/// Simplified for display only, at the full view of a `width` × `height` drawing (SVG units,
/// about pixels): coordinates are rounded to a tenth of a unit, a vertex closer than
/// `tolerance` units to the last one kept is dropped, and a shape smaller than a unit both ways
/// is drawn as a 1-unit square at its centre (outline features that small are left out). The
/// data the figures come from is never simplified.
struct ReportMap {
    /// A layer drawn as outlines only (no fill, no click): an input layer, the districts, the regions.
    struct Outline {
        /// The SVG group's id (toggled from the legend).
        var id: String
        var label: String
        /// A CSS colour.
        var colour: String
        var dashed: Bool
        /// Drawn over the shapes (districts, regions) rather than under them (input layers).
        var above: Bool
        var geometries: [GeometryValue]
        /// A title per geometry (a district's name) or nil; with titles each geometry is its own path.
        var titles: [String]?
    }

    /// A clickable feature: its index is its row in the embedded table.
    struct Shape {
        var geometry: GeometryValue
        /// The CSS class that colours it (`sev-critical`, `outcome-reuse`).
        var cssClass: String
        /// The group it belongs to (an assessment item) when the map shows one group at a time.
        var group: String?
    }

    /// A legend entry for a colour of the shapes.
    struct Swatch {
        var cssClass: String
        var label: String
    }

    var shapes: [Shape]
    var outlines: [Outline]
    var swatches: [Swatch]
    /// Groups of shapes (id, label) of which the map shows one at a time; empty: all at once.
    var groups: [(id: String, label: String)] = []
    /// The map's accessible name.
    var title: String
    var crsText: String
    var isGeographic: Bool
    var labels: ReportLabels

    static let width = 900.0, height = 600.0, margin = 20.0
    /// Vertices closer than this to the last one kept are dropped (SVG units, about pixels).
    static let tolerance = 0.5
    /// Subdued outline colours for input layers, in layer order.
    static let outlineColours = ["#4f7cac", "#5f9b57", "#9c7a4a", "#8a5fa8", "#4a9c96", "#a8596e", "#707070"]

    /// What the simplification did, for the note under the map.
    struct Detail {
        var shapes = 0, squares = 0, verticesIn = 0, verticesDrawn = 0, outlineFeaturesSkipped = 0
    }

    /// The transform from CRS units to SVG units (y flipped), fitting every shape and outline. In
    /// a geographic CRS, longitudes are shrunk by the cosine of the middle latitude, so that the
    /// drawing keeps the land's shape (an equirectangular view) and the scale bar holds both ways.
    struct Frame {
        var minX = 0.0, maxY = 0.0, scale = 1.0, metresPerUnit = 1.0
        /// Horizontal drawing units per vertical one, per CRS unit: cos(middle latitude) for degrees, else 1.
        var xShrink = 1.0

        init(_ geometries: [[GeometryValue]], isGeographic: Bool) {
            var box = Envelope.empty
            for list in geometries { for g in list { if let e = g.envelope { box.expand(toInclude: Position(e.minX, e.minY)); box.expand(toInclude: Position(e.maxX, e.maxY)) } } }
            guard !box.isEmpty else { return }
            if isGeographic {
                // Degrees: a degree of latitude is about 111.3 km; a degree of longitude that times
                // cos(latitude), taken at the middle latitude (for the drawing and the scale bar only).
                xShrink = max(cos((box.minY + box.maxY) / 2 * .pi / 180), 1e-6)
                metresPerUnit = 111_319.49
            }
            let w = max((box.maxX - box.minX) * xShrink, 1e-12), h = max(box.maxY - box.minY, 1e-12)
            scale = min((ReportMap.width - 2 * ReportMap.margin) / w, (ReportMap.height - 2 * ReportMap.margin) / h)
            // Centre the extent in the drawing.
            minX = box.minX - (ReportMap.width / scale - w) / 2 / xShrink
            maxY = box.maxY + (ReportMap.height / scale - h) / 2
        }

        /// A position in tenths of an SVG unit (clamped far outside the drawing, so that no
        /// coordinate can overflow an Int; a non-finite one is put at 0).
        func tenths(_ p: Position) -> (Int, Int) {
            (Self.clamped((p.x - minX) * xShrink * scale * 10), Self.clamped((maxY - p.y) * scale * 10))
        }

        static func clamped(_ v: Double) -> Int {
            guard v.isFinite else { return 0 }
            return Int(min(max(v, -1e12), 1e12).rounded())
        }

        /// Appends the SVG path data of `geometry`'s polygons to `d` (absolute move, then relative
        /// lines in tenths of a unit). A geometry smaller than a unit both ways becomes a 1-unit
        /// square when `square`, nothing otherwise. Returns false when nothing was drawn.
        @discardableResult
        func appendPath(_ geometry: GeometryValue, to d: inout String, square: Bool, detail: inout Detail) -> Bool {
            guard let e = geometry.envelope else { return false }
            let lo = tenths(Position(e.minX, e.maxY)), hi = tenths(Position(e.maxX, e.minY))
            if hi.0 - lo.0 < 10 && hi.1 - lo.1 < 10 {
                guard square else { return false }
                let cx = (lo.0 + hi.0) / 2 - 5, cy = (lo.1 + hi.1) / 2 - 5
                d += "M" + Self.text(cx) + " " + Self.text(cy) + "h1v1h-1Z"
                detail.squares += 1
                return true
            }
            let minStep = Int(ReportMap.tolerance * 10)
            var drew = false
            for polygon in geometry.polygons {
                for (r, ring) in polygon.enumerated() {
                    detail.verticesIn += ring.count
                    var kept: [(Int, Int)] = []
                    kept.reserveCapacity(ring.count)
                    for p in ring {
                        let t = tenths(p)
                        if let last = kept.last, abs(t.0 - last.0) < minStep && abs(t.1 - last.1) < minStep { continue }
                        kept.append(t)
                    }
                    if kept.count > 1, kept.last! == kept.first! { kept.removeLast() }
                    // A hole that shrank below a triangle is not drawn; an exterior always is.
                    guard kept.count >= 3 || (r == 0 && !kept.isEmpty) else { continue }
                    d += "M" + Self.text(kept[0].0) + " " + Self.text(kept[0].1) + "l"
                    for k in 1..<kept.count {
                        let dx = kept[k].0 - kept[k - 1].0, dy = kept[k].1 - kept[k - 1].1
                        if k > 1 && dx >= 0 { d += " " }
                        d += Self.text(dx)
                        if dy >= 0 { d += " " }
                        d += Self.text(dy)
                    }
                    if kept.count == 1 { d += "0 0" }
                    d += "Z"
                    detail.verticesDrawn += kept.count
                    drew = true
                }
            }
            return drew
        }

        /// Tenths as SVG number text: 123 → "12.3", -5 → "-.5", 40 → "4".
        static func text(_ v: Int) -> String {
            let whole = abs(v) / 10, frac = abs(v) % 10
            let sign = v < 0 ? "-" : ""
            if frac == 0 { return sign + String(whole) }
            return sign + (whole == 0 ? "" : String(whole)) + "." + String(frac)
        }
    }

    /// The frame that fits every shape and outline into the drawing.
    func makeFrame() -> Frame {
        Frame([shapes.map(\.geometry)] + outlines.map(\.geometries), isGeographic: isGeographic)
    }

    /// The map block: the SVG drawing, and beside it the legend, the info panel and the note on
    /// the simplification. `note` is given the drawing's detail and returns the text under the map.
    func html(_ frame: Frame, note: (Detail) -> String) -> String {
        var detail = Detail()
        let svg = self.svg(frame, detail: &detail)
        var h = "<div class=\"mapbox\">\n<div class=\"mapcol\">\n" + svg + "\n<p class=\"note\" id=\"map-note\">\(esc(note(detail)))</p>\n</div>\n"
        h += "<div class=\"side\">\n" + legend() + "<div id=\"info\">\(esc(labels["clickHint"]))</div>\n</div>\n</div>\n"
        return h
    }

    func svg(_ frame: Frame, detail: inout Detail) -> String {
        let W = Int(Self.width), H = Int(Self.height)
        var s = "<svg id=\"map\" viewBox=\"0 0 \(W) \(H)\" width=\"\(W)\" height=\"\(H)\" role=\"img\" aria-label=\"\(esc(title))\">\n"
        s += "<svg id=\"view\" x=\"0\" y=\"0\" width=\"\(W)\" height=\"\(H)\" viewBox=\"0 0 \(W) \(H)\">\n"
        s += "<rect width=\"\(W)\" height=\"\(H)\" fill=\"transparent\"/>\n"
        for outline in outlines where !outline.above { s += self.outline(outline, frame, &detail) }
        s += "<g id=\"shapes\">\n"
        var openGroup: String?? = .none
        for (i, shape) in shapes.enumerated() {
            if !groups.isEmpty, openGroup != .some(shape.group) {
                if openGroup != nil { s += "</g>\n" }
                let visible = shape.group == groups.first?.id
                s += "<g class=\"group\" data-group=\"\(esc(shape.group ?? ""))\"\(visible ? "" : " style=\"display:none\"")>\n"
                openGroup = .some(shape.group)
            }
            var d = ""
            frame.appendPath(shape.geometry, to: &d, square: true, detail: &detail)
            detail.shapes += 1
            s += "<path class=\"shape \(esc(shape.cssClass))\" data-i=\"\(i)\" d=\"\(d)\"/>\n"
        }
        if openGroup != nil { s += "</g>\n" }
        s += "</g>\n"
        for outline in outlines where outline.above { s += self.outline(outline, frame, &detail) }
        s += "</svg>\n"
        // The frame: north arrow, scale bar (its length set by the script for the zoom), CRS, reset.
        s += "<g id=\"north\" transform=\"translate(\(W - 30),22)\"><path d=\"M0 -12 L7 10 L0 5 L-7 10 Z\" fill=\"#222\"/><text y=\"24\" text-anchor=\"middle\" font-size=\"12\">N</text><title>\(esc(labels["north"]))</title></g>\n"
        s += "<g id=\"scale\" font-size=\"12\"><text x=\"20\" y=\"\(H - 28)\">\(esc(labels["scaleBar"]))</text>"
        s += "<rect id=\"scale-bar\" x=\"20\" y=\"\(H - 22)\" width=\"100\" height=\"5\" fill=\"#222\"/>"
        s += "<text id=\"scale-label\" x=\"20\" y=\"\(H - 6)\"></text></g>\n"
        s += "<text x=\"10\" y=\"16\" font-size=\"11\" fill=\"#444\">\(esc(labels["crs"])): \(esc(crsText))</text>\n"
        s += "<g id=\"reset\" cursor=\"pointer\"><rect x=\"10\" y=\"24\" width=\"60\" height=\"18\" fill=\"#fff\" stroke=\"#999\"/><text x=\"40\" y=\"37\" font-size=\"11\" text-anchor=\"middle\">\(esc(labels["reset"]))</text></g>\n"
        s += "</svg>"
        return s
    }

    /// One outline layer: one path for the whole layer (fast to draw), or one per titled geometry.
    func outline(_ o: Outline, _ frame: Frame, _ detail: inout Detail) -> String {
        let style = "stroke=\"\(o.colour)\"" + (o.dashed ? " stroke-dasharray=\"4 2\"" : "")
        var s = "<g id=\"\(esc(o.id))\" class=\"outline\" \(style)>\n"
        if let titles = o.titles {
            for (g, title) in zip(o.geometries, titles) {
                var d = ""
                if frame.appendPath(g, to: &d, square: false, detail: &detail) {
                    s += "<path d=\"\(d)\"><title>\(esc(title))</title></path>\n"
                } else {
                    detail.outlineFeaturesSkipped += 1
                }
            }
        } else {
            var d = ""
            for g in o.geometries where !frame.appendPath(g, to: &d, square: false, detail: &detail) {
                detail.outlineFeaturesSkipped += 1
            }
            s += "<path d=\"\(d)\"/>\n"
        }
        return s + "</g>\n"
    }

    /// The legend, beside the drawing: the shapes' colours, then each outline layer with a box
    /// that shows or hides it; a choice of group when the map shows one group at a time.
    func legend() -> String {
        var h = "<div class=\"legend\" id=\"legend\">\n<h3>\(esc(labels["legend"]))</h3>\n"
        if !groups.isEmpty {
            h += "<label>\(esc(labels["showItem"])) <select id=\"group-select\">"
            for g in groups { h += "<option value=\"\(esc(g.id))\">\(esc(g.label))</option>" }
            h += "</select></label>\n"
        }
        h += "<ul>\n"
        for s in swatches { h += "<li><span class=\"sw \(esc(s.cssClass))\"></span>\(esc(s.label))</li>\n" }
        for o in outlines {
            let line = "<svg width=\"22\" height=\"10\"><line x1=\"1\" y1=\"5\" x2=\"21\" y2=\"5\" stroke=\"\(o.colour)\" stroke-width=\"2\"\(o.dashed ? " stroke-dasharray=\"4 2\"" : "")/></svg>"
            h += "<li><label><input type=\"checkbox\" checked data-toggle=\"\(esc(o.id))\"> \(line) \(esc(o.label))</label></li>\n"
        }
        return h + "</ul>\n</div>\n"
    }

    /// The map's numbers the script needs (scale bar).
    struct Embedded: Encodable {
        var scale: Double
        var metresPerUnit: Double
    }

    static func embedded(_ frame: Frame) -> Embedded {
        Embedded(scale: frame.scale, metresPerUnit: frame.metresPerUnit)
    }
}
