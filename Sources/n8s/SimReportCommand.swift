import ArgumentParser
import Foundation
import N8sSimulation

/// `n8s sim report`: the summary and HTML report of saved runs (`results.json` files that
/// `--report` writes), side by side; re-renders or compares runs without running them again.
struct SimReport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print and render saved simulation results (results.json), several runs side by side."
    )

    @Argument(help: "results.json files written by `n8s sim --report <dir>`.")
    var results: [String]

    @Option(help: "Output format: table or json.")
    var output: OutputFormat = .table

    @Option(help: "Directory to write index.html and results.json of all the runs into.")
    var report: String?

    @Option(help: "Title of the HTML report.")
    var title = "n8s simulation"

    func run() async throws {
        var runs: [SimulationResult] = []
        for path in results {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            do { runs += try JSONDecoder().decode([SimulationResult].self, from: data) } catch {
                throw SimulationError.output(path: path, reason: "not a results.json of n8s sim: \(error)")
            }
        }
        switch output {
        case .table: print(SimulationSummary.compare(runs.map(\.summary)))
        case .json: print(try SimulationSummary.json(runs.map(\.summary)))
        }
        // Same workload, several runs: which pods the first run scheduled and another did not.
        if let first = runs.first {
            for (i, other) in runs.enumerated().dropFirst() {
                let missed = first.scheduledPods.subtracting(other.scheduledPods).sorted()
                let line = "run \(i + 1) (\(other.summary.label)) left pending \(missed.count) pod(s) that run 1 (\(first.summary.label)) scheduled"
                    + (missed.isEmpty ? "" : ": " + missed.prefix(20).joined(separator: ", ") + (missed.count > 20 ? ", ..." : ""))
                FileHandle.standardError.write(Data((line + "\n").utf8))
            }
        }
        if let report {
            let index = try HTMLReport.write(runs, title: title, to: report)
            if output == .table { print("\nreport: \(index)") } else { FileHandle.standardError.write(Data("report: \(index)\n".utf8)) }
        }
    }
}
