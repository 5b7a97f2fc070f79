import Foundation
import KubeCore
import N8sCore
import Testing

@testable import N8sSimulation

/// Hand-written CSV in the trace's format (no trace rows).
let tinyPods = """
    name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time
    p-a,4000,8192,1,100,,LS,Running,100,400,100
    p-b,2000,4096,1,300,,BE,Running,110,,112
    p-c,8000,16384,2,1000,,LS,Succeeded,130,1130,131
    p-d,1000,1024,0,0,,BE,Failed,160,200,
    p-e,6000,12288,1,460,,LS,Running,200,900,200
    p-f,6000,12288,1,900,,LS,Pending,240,260,
    """

@Suite("Trace input")
struct TraceReplayTests {
    static let h100 = try! MIGCatalog.bundled().model(forProduct: "NVIDIA-H100-80GB-HBM3").model

    @Test("reads the pod list by column name, empty cells as absent")
    func readsPods() throws {
        let pods = try TraceCSV.pods(tinyPods)
        #expect(pods.count == 6)
        #expect(pods[1].deletionTime == nil)
        #expect(pods[2].numGPU == 2)
        #expect(pods[3].scheduledTime == nil)
        #expect(pods[4].line == 6)
    }

    @Test("errors name file, line and column")
    func errors() {
        #expect { try TraceCSV.pods("name,cpu_milli\nx,1", file: "t.csv") } throws: {
            ($0 as? SimulationError) == .invalidTrace(file: "t.csv", line: 1, column: "memory_mib", reason: "the header lacks this column")
        }
        let bad = tinyPods.replacingOccurrences(of: "p-e,6000", with: "p-e,lots")
        #expect { try TraceCSV.pods(bad, file: "t.csv") } throws: {
            guard case .invalidTrace(_, let line, let column, _) = $0 as? SimulationError else { return false }
            return line == 6 && column == "cpu_milli"
        }
    }

    @Test("sharing requests map to the smallest profile whose compute share covers them", arguments: [
        (1, "1g.10gb"), (142, "1g.10gb"), (143, "2g.20gb"), (285, "2g.20gb"), (286, "3g.40gb"), (460, "4g.40gb"), (572, "7g.80gb"), (999, "7g.80gb"),
    ])
    func computeShare(milli: Int, profile: String) throws {
        #expect(try ProfileMapping(model: Self.h100).profile(forMilli: milli).name == profile)
    }

    @Test("with memory covered too, and with overrides")
    func memoryAndOverrides() throws {
        // 3g.40gb covers 0.43 of compute and 0.5 of memory; 2g.20gb only 0.25 of memory.
        let memory = try ProfileMapping(model: Self.h100, coversMemory: true)
        #expect(memory.profile(forMilli: 260).name == "3g.40gb")
        #expect(try ProfileMapping(model: Self.h100).profile(forMilli: 260).name == "2g.20gb")
        let o = try ProfileMapping(model: Self.h100, overrides: ProfileMapping.overrides(parsing: "1-200=3g.40gb"))
        #expect(o.profile(forMilli: 100).name == "3g.40gb")
        #expect(o.profile(forMilli: 201).name == "2g.20gb")
        #expect(throws: SimulationError.self) { try ProfileMapping.overrides(parsing: "300-100=1g.10gb") }
        #expect(throws: SimulationError.self) { try ProfileMapping(model: Self.h100, overrides: [.init(milli: 1...2, profile: "9g.1gb")]) }
        #expect(try ProfileMapping(model: Self.h100).rules.first == "gpu_milli 1-142 → 1g.10gb")
    }

    @Test("replays arrivals and deletions with compression; whole GPUs as full profiles; CPU-only by option")
    func workload() throws {
        let pods = try TraceCSV.pods(tinyPods)
        let (dropped, summary) = try TraceReplay.workload(pods, mapping: ProfileMapping(model: Self.h100), compression: 10)
        #expect(dropped.map(\.name) == ["p-a", "p-b", "p-c", "p-e", "p-f"])
        #expect(dropped.map(\.arrival) == [.zero, .seconds(1), .seconds(3), .seconds(10), .seconds(14)])
        #expect(dropped[0].end == .deleted(at: .seconds(30)))
        #expect(dropped[1].end == .never)
        #expect(dropped[2].resources["nvidia.com/mig-7g.80gb"] == Quantity(2))
        #expect(dropped[2].resources["cpu"] == Quantity(8))
        #expect(summary.sharingPods == ["1g.10gb": 1, "3g.40gb": 1, "4g.40gb": 1, "7g.80gb": 1])
        #expect(summary.wholeGPUPods == [2: 1])
        #expect(summary.cpuOnlyDropped == 1)
        #expect(summary.table.contains("2 whole GPUs → 7g.80gb"))
        let (kept, keptSummary) = try TraceReplay.workload(pods, mapping: ProfileMapping(model: Self.h100, keepsCPUOnly: true))
        #expect(kept.count == 6)
        #expect(keptSummary.cpuOnlyKept == 1)
        #expect(throws: SimulationError.self) {
            try TraceReplay.workload(TraceCSV.pods(tinyPods.replacingOccurrences(of: "2,1000", with: "2,500")), mapping: ProfileMapping(model: Self.h100))
        }
    }

    @Test("node list becomes grouped node groups of the chosen model")
    func nodes() throws {
        let csv = "sn,cpu_milli,memory_mib,gpu,model\nn0,96000,786432,8,G2\nn1,96000,786432,8,G2\nn2,64000,262144,2,T4\nn3,32000,65536,0,\n"
        let groups = TraceReplay.nodeGroups(try TraceCSV.nodes(csv), model: Self.h100)
        #expect(groups.map(\.count) == [2, 1])
        #expect(groups.map(\.gpusPerNode) == [8, 2])
        #expect(groups[0].cpu == Quantity(96))
    }

    @Test("a trace scenario: node groups from the node list, pods replayed with their deletions")
    func scenario() throws {
        let nodes = "sn,cpu_milli,memory_mib,gpu,model\nn0,96000,786432,8,G2\nn1,32000,65536,0,\n"
        let (s, summary) = try TraceReplay.scenario(podsCSV: tinyPods, nodesCSV: nodes, mapping: ProfileMapping(model: Self.h100), compression: 10)
        #expect(s.nodes.map(\.count) == [1])
        #expect(s.gpuCount == 8)
        #expect(s.workload.map(\.name) == ["p-a", "p-b", "p-c", "p-e", "p-f"])
        #expect(s.workload[0].pod().metadata.annotations?[SimulationAnnotations.deleteAt] == "30s")
        #expect(summary.cpuOnlyDropped == 1)
        #expect(throws: SimulationError.self) {
            try TraceReplay.scenario(podsCSV: tinyPods, nodesCSV: "sn,cpu_milli,memory_mib,gpu\nn1,1,1,0\n", mapping: ProfileMapping(model: Self.h100))
        }
    }

    @Test("statistics: shares of mapped requests, quantiles of gaps and durations")
    func statistics() throws {
        let stats = try TraceStatistics(pods: TraceCSV.pods(tinyPods), mapping: ProfileMapping(model: Self.h100))
        #expect(stats.sharingPods == 4 && stats.wholeGPUPods == 1 && stats.cpuOnlyPods == 1)
        #expect(stats.requestShares["2x7g.80gb"] == 0.2)
        #expect(stats.requestShares["1g.10gb"] == 0.2)
        // gaps 10, 20, 30, 40, 40 → median 30; durations 300, 1000, 40, 700, 20 → median 300.
        #expect(stats.interArrivalSeconds[5] == 30)
        #expect(stats.durationSeconds[5] == 300)
        #expect(stats.text.contains("static let requestShares"))
    }
}
