import ArgumentParser
import Foundation
import N8sCore
import N8sSimulation

/// `n8s sim trace-stats`: statistics of an Alibaba v2023 pod trace after mapping to a GPU model,
/// the numbers the embedded default scenario is generated from.
struct SimTraceStats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace-stats",
        abstract: "Print the size mix and arrival pattern of an Alibaba GPU trace (v2023 pod CSV) mapped to MIG profiles."
    )

    @Option(help: "Pod list CSV of the Alibaba GPU trace v2023, e.g. <trace folder>/openb_pod_list_default.csv (read, never copied).")
    var trace: String

    @Option(help: "GPU model the requests are mapped to.")
    var model = "NVIDIA-H100-80GB-HBM3"

    @Option(help: "Node list CSV, e.g. .../openb_node_list_gpu_node.csv: also print the cluster it maps to.")
    var nodes: String?

    @Flag(help: "A sharing request's profile must also cover its share of GPU memory.")
    var coverMemory = false

    @Option(help: "Mapping overrides: lo-hi=profile,... over gpu_milli, e.g. 1-250=2g.20gb.")
    var map: String?

    func run() async throws {
        let catalog = try MIGCatalog.bundled()
        let gpu = try catalog.model(forProduct: model).model
        let mapping = try ProfileMapping(model: gpu, coversMemory: coverMemory, overrides: map.map(ProfileMapping.overrides(parsing:)) ?? [])
        let text = try String(contentsOfFile: trace, encoding: .utf8)
        let file = (trace as NSString).lastPathComponent
        let pods = try TraceCSV.pods(text, file: file)
        let stats = try TraceStatistics(pods: pods, mapping: mapping, file: file)
        let (_, summary) = try TraceReplay.workload(pods, mapping: mapping, file: file)
        print("mapping to \(gpu.id):")
        for rule in mapping.rules { print("  \(rule)") }
        print("")
        print(summary.table)
        print("")
        print(stats.text)
        if let nodes {
            let groups = TraceReplay.nodeGroups(try TraceCSV.nodes(String(contentsOfFile: nodes, encoding: .utf8), file: nodes), model: gpu)
            print("")
            print("cluster: \(groups.reduce(0) { $0 + $1.count }) GPU nodes, \(groups.reduce(0) { $0 + $1.count * $1.gpusPerNode }) GPUs as \(gpu.id)")
            print(TextTable.render([["GROUP", "NODES", "GPUS", "CPU", "MEMORY"]] + groups.map {
                [$0.name, "\($0.count)", "\($0.gpusPerNode)", $0.cpu.description, $0.memory.description]
            }))
        }
    }
}
