import Foundation

/// The HTML report of one or several runs: the summary table and three inline SVG charts
/// (`pending-pods`, `allocation-ratio`, `reconfigurations`), one line per run. A single file
/// with no scripts or external resources, readable offline in any browser.
public enum HTMLReport {
    /// Line colours, one per run (colour-blind-safe Okabe–Ito palette).
    static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]

    public static func render(_ runs: [SimulationResult], title: String) -> String {
        let longest = runs.flatMap { $0.samples.map(\.seconds) }.max() ?? 0
        let (unit, divisor) = longest > 3 * 3600 ? ("hours", 3600.0) : ("minutes", 60.0)
        func series(_ value: (SimulationRecorder.Sample) -> Double) -> [SVGChart.Series] {
            runs.enumerated().map { i, run in
                SVGChart.Series(name: run.summary.label, color: palette[i % palette.count],
                                points: run.samples.map { ($0.seconds / divisor, value($0)) })
            }
        }
        let xLabel = "simulated time (\(unit))"
        var charts = [
            SVGChart(id: "pending-pods", title: "Pending pods", xLabel: xLabel, yLabel: "pods waiting to be scheduled",
                     series: series { Double($0.pendingPods) }),
            SVGChart(id: "allocation-ratio", title: "GPU memory allocated to pods", xLabel: xLabel, yLabel: "share of cluster GPU memory",
                     series: series(\.allocationRatio), yMax: 1, yFormat: { "\(Int(($0 * 100).rounded()))%" }),
            SVGChart(id: "reconfigurations", title: "MIG reconfigurations (cumulative)", xLabel: xLabel, yLabel: "GPU reconfigurations",
                     series: series { Double($0.reconfigurations) }),
        ]
        charts[0].integerTicks = true
        charts[2].integerTicks = true
        let summaries = runs.map(\.summary)
        var table = "<table>\n<tr><th></th>" + summaries.map { "<th>\(escape($0.label))</th>" }.joined() + "</tr>\n"
        if let first = summaries.first {
            for (i, row) in first.rows.enumerated() {
                let alarm = row.0.hasSuffix("(must be 0)") && summaries.contains { $0.rows[i].1 != "0" }
                table += "<tr\(alarm ? " class=\"alarm\"" : "")><td>\(escape(row.0))</td>" + summaries.map { "<td class=\"num\">\(escape($0.rows[i].1))</td>" }.joined() + "</tr>\n"
            }
        }
        table += "</table>"
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>\(escape(title))</title>
            <style>
            body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px auto; max-width: 820px; color: #222; }
            h1 { font-size: 22px; margin-bottom: 4px; }
            p.note { color: #555; font-size: 13px; margin-top: 0; }
            table { border-collapse: collapse; margin: 16px 0 24px; font-size: 14px; max-width: 100%; }
            th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; }
            th { font-size: 12px; overflow-wrap: anywhere; vertical-align: bottom; }
            td.num { text-align: right; font-variant-numeric: tabular-nums; }
            td:first-child { white-space: nowrap; }
            tr.alarm td { color: #b00020; font-weight: bold; }
            figure { margin: 0 0 24px; }
            svg { font-family: inherit; max-width: 100%; height: auto; }
            </style>
            </head>
            <body>
            <h1>\(escape(title))</h1>
            <p class="note">n8s simulation report: \(runs.count) run\(runs.count == 1 ? "" : "s"). Pending time counts pods never scheduled until their deletion or the end of the run.</p>
            \(table)
            \(charts.map { "<figure>\n\($0.svg)\n</figure>" }.joined(separator: "\n"))
            </body>
            </html>

            """
    }

    /// Writes `index.html` and `results.json` (figures and series of every run) into `directory`,
    /// creating it if needed.
    /// - Returns: the path of `index.html`.
    /// - Throws: ``SimulationError/output(path:reason:)``.
    @discardableResult
    public static func write(_ runs: [SimulationResult], title: String, to directory: String) throws(SimulationError) -> String {
        let index = (directory as NSString).appendingPathComponent("index.html")
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(render(runs, title: title).utf8).write(to: URL(fileURLWithPath: index))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(runs).write(to: URL(fileURLWithPath: (directory as NSString).appendingPathComponent("results.json")))
        } catch {
            throw .output(path: directory, reason: "\(error)")
        }
        return index
    }
}
