import Foundation

/// A line chart as inline SVG: title, axes with "nice" ticks (1, 2, 2.5, 5 × 10ᵏ), axis labels,
/// grid lines and a legend; series drawn as step lines (each value holds until the next point).
/// Pure text generation, no I/O.
public struct SVGChart: Sendable {
    public struct Series: Sendable {
        public var name: String
        /// CSS colour.
        public var color: String
        /// (x, y) points, x ascending.
        public var points: [(x: Double, y: Double)]

        public init(name: String, color: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.color = color
            self.points = points
        }
    }

    public var id: String
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// Fixed top of the y axis (e.g. 1 for ratios); `nil`: from the data.
    public var yMax: Double?
    /// Formats y tick values (e.g. as percentages).
    public var yFormat: @Sendable (Double) -> String
    /// Counts (pods, reconfigurations): y ticks are whole numbers.
    public var integerTicks = false
    public var width = 760.0
    public var height = 300.0

    public init(id: String, title: String, xLabel: String, yLabel: String, series: [Series], yMax: Double? = nil,
                yFormat: @escaping @Sendable (Double) -> String = SVGChart.number) {
        self.id = id
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.yMax = yMax
        self.yFormat = yFormat
    }

    /// `12`, `2.5`, `0.25`: shortest text of a tick value.
    public static let number: @Sendable (Double) -> String = { v in
        let r = (v * 1000).rounded() / 1000
        return r == r.rounded() ? String(Int(r)) : String(r)
    }

    /// Tick values from 0 to at least `maximum`, about `count` of them, at a nice step.
    static func ticks(upTo maximum: Double, count: Int = 5, integers: Bool = false) -> [Double] {
        let top = maximum > 0 ? maximum : 1
        let raw = top / Double(count)
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        var step = [1, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw && (!integers || ($0 >= 1 && $0 == $0.rounded())) } ?? raw
        if integers { step = max(1, step.rounded(.up)) }
        let n = Int((top / step).rounded(.up))
        return (0...n).map { Double($0) * step }
    }

    public var svg: String {
        let left = 70.0, right = 20.0, top = 40.0
        let legend = legendLayout(from: left, width: width - left - right)
        let bottom = 76.0 + Double(legend.rows) * 18
        let totalHeight = height + bottom - 70
        let plotW = width - left - right, plotH = totalHeight - top - bottom
        let xMaxData = series.flatMap { $0.points.map(\.x) }.max() ?? 1
        let yMaxData = series.flatMap { $0.points.map(\.y) }.max() ?? 1
        let xTicks = Self.ticks(upTo: xMaxData)
        let yTicks = Self.ticks(upTo: yMax ?? yMaxData, integers: integerTicks)
        let xTop = xTicks.last ?? 1, yTop = yTicks.last ?? 1
        func px(_ x: Double) -> Double { left + x / xTop * plotW }
        func py(_ y: Double) -> Double { top + plotH - y / yTop * plotH }
        var out = """
            <svg id="\(id)" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(f(width)) \(f(totalHeight))" width="\(f(width))" height="\(f(totalHeight))" role="img" aria-label="\(escape(title))">
            <rect x="0" y="0" width="\(f(width))" height="\(f(totalHeight))" fill="#ffffff"/>
            <text x="\(f(width / 2))" y="22" text-anchor="middle" font-size="16" font-weight="bold">\(escape(title))</text>

            """
        for t in yTicks {
            out += "<line x1=\"\(f(left))\" y1=\"\(f(py(t)))\" x2=\"\(f(left + plotW))\" y2=\"\(f(py(t)))\" stroke=\"#e3e3e3\"/>"
            out += "<text x=\"\(f(left - 8))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\" font-size=\"12\">\(escape(yFormat(t)))</text>\n"
        }
        for t in xTicks {
            out += "<line x1=\"\(f(px(t)))\" y1=\"\(f(top + plotH))\" x2=\"\(f(px(t)))\" y2=\"\(f(top + plotH + 5))\" stroke=\"#333\"/>"
            out += "<text x=\"\(f(px(t)))\" y=\"\(f(top + plotH + 20))\" text-anchor=\"middle\" font-size=\"12\">\(escape(Self.number(t)))</text>\n"
        }
        out += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(top + plotH))\" stroke=\"#333\"/>"
        out += "<line x1=\"\(f(left))\" y1=\"\(f(top + plotH))\" x2=\"\(f(left + plotW))\" y2=\"\(f(top + plotH))\" stroke=\"#333\"/>\n"
        out += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(top + plotH + 42))\" text-anchor=\"middle\" font-size=\"13\">\(escape(xLabel))</text>\n"
        out += "<text transform=\"translate(18 \(f(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">\(escape(yLabel))</text>\n"
        for s in series where !s.points.isEmpty {
            var d = "M\(f(px(s.points[0].x))),\(f(py(s.points[0].y)))"
            for (a, b) in zip(s.points, s.points.dropFirst()) { d += " H\(f(px(b.x))) V\(f(py(b.y)))"; _ = a }
            out += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\"><title>\(escape(s.name))</title></path>\n"
        }
        for (i, s) in series.enumerated() {
            let x = legend.positions[i].x, y = top + plotH + 66 + Double(legend.positions[i].row) * 18
            out += "<rect x=\"\(f(x))\" y=\"\(f(y - 9))\" width=\"18\" height=\"4\" fill=\"\(s.color)\"/>"
            out += "<text x=\"\(f(x + 24))\" y=\"\(f(y - 3))\" font-size=\"12\">\(escape(s.name))</text>\n"
        }
        return out + "</svg>"
    }

    private func f(_ v: Double) -> String { String(format: "%.1f", v) }

    /// Legend entries left to right, wrapping to a new row when the next would pass `width`;
    /// text width estimated at 7 px per character (12 px sans-serif).
    func legendLayout(from left: Double, width: Double) -> (positions: [(x: Double, row: Int)], rows: Int) {
        var positions: [(x: Double, row: Int)] = []
        var x = left
        var row = 0
        for s in series {
            let w = 24 + Double(s.name.count) * 7 + 24
            if x > left, x + w > left + width {
                row += 1
                x = left
            }
            positions.append((x, row))
            x += w
        }
        return (positions, series.isEmpty ? 0 : row + 1)
    }
}

/// Escapes text for HTML and SVG (`&`, `<`, `>`, `"`).
func escape(_ text: String) -> String {
    var out = ""
    for c in text {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        default: out.append(c)
        }
    }
    return out
}
