import KubeCore
import N8sCore

/// Turns trace rows into a simulated workload and cluster.
public enum TraceReplay {
    /// What the mapping did to a trace: pods per profile, for printing.
    public struct MappingSummary: Sendable, Hashable {
        /// Sharing pods per profile (NVIDIA name).
        public var sharingPods: [String: Int] = [:]
        /// Whole-GPU pods by GPUs per pod.
        public var wholeGPUPods: [Int: Int] = [:]
        public var cpuOnlyKept = 0
        public var cpuOnlyDropped = 0
        public var fullProfile = ""

        /// A table: `PROFILE  PODS  DEVICES`, sharing profiles smallest first, then whole GPUs.
        public var table: String {
            var rows: [[String]] = [["REQUEST", "PODS", "DEVICES"]]
            for (profile, n) in sharingPods.sorted(by: { ($0.key.profileSortKey, $0.key) < ($1.key.profileSortKey, $1.key) }) {
                rows.append(["share → \(profile)", "\(n)", "\(n) × \(profile)"])
            }
            for (gpus, n) in wholeGPUPods.sorted(by: { $0.key < $1.key }) {
                rows.append(["\(gpus) whole GPU\(gpus == 1 ? "" : "s") → \(fullProfile)", "\(n)", "\(n * gpus) × \(fullProfile)"])
            }
            rows.append(["CPU only (kept)", "\(cpuOnlyKept)", "-"])
            rows.append(["CPU only (dropped)", "\(cpuOnlyDropped)", "-"])
            return TextTable.render(rows)
        }
    }

    /// The workload of a pod trace.
    ///
    /// - Parameters:
    ///   - compression: trace seconds per simulated second (`10`: ten trace seconds pass in one
    ///     simulated second); arrivals are `(creation_time − first creation_time) / compression`,
    ///     deletions `(deletion_time − first creation_time) / compression` (a pod without
    ///     `deletion_time` is never deleted).
    /// - Returns: pods by arrival, named after the trace's `name`, and the mapping summary.
    /// - Throws: ``SimulationError`` from ``ProfileMapping/request(for:file:)``, or
    ///   ``SimulationError/invalidField(field:reason:)`` for a compression ≤ 0.
    public static func workload(_ pods: [TracePod], mapping: ProfileMapping, compression: Double = 1, namespace: String = "default",
                                file: String = "pods.csv") throws(SimulationError) -> (pods: [WorkloadPod], summary: MappingSummary) {
        guard compression > 0, compression.isFinite else { throw .invalidField(field: "--compression", reason: "must be a number above 0") }
        let start = pods.map(\.creationTime).min() ?? 0
        var summary = MappingSummary(fullProfile: mapping.fullProfile.name)
        var out: [WorkloadPod] = []
        for pod in pods {
            guard let request = try mapping.request(for: pod, file: file) else {
                summary.cpuOnlyDropped += 1
                continue
            }
            switch request {
            case .cpuOnly: summary.cpuOnlyKept += 1
            case .mig(let profile, _): summary.sharingPods[profile, default: 0] += 1
            case .wholeGPUs(let n, _): summary.wholeGPUPods[n, default: 0] += 1
            }
            var resources = request.resources
            resources["cpu"] = Quantity(milli: pod.cpuMilli)
            resources["memory"] = Quantity(bytes: pod.memoryMiB << 20)
            let seconds = { (t: Int) in Duration.seconds(Double(t - start) / compression) }
            out.append(WorkloadPod(
                name: pod.name.lowercased(), namespace: namespace, arrival: seconds(pod.creationTime),
                end: pod.deletionTime.map { .deleted(at: seconds(max($0, pod.creationTime))) } ?? .never, resources: resources
            ))
        }
        out.sort { ($0.arrival, $0.name) < ($1.arrival, $1.name) }
        return (out, summary)
    }

    /// Node groups of a trace node list: each trace GPU becomes one GPU of `model`; CPU and memory
    /// as in the trace; identical nodes grouped (`trace-<gpus>g-<index>`), CPU-only nodes kept
    /// with no GPUs unless `gpuNodesOnly`.
    public static func nodeGroups(_ nodes: [TraceNode], model: GPUModel, gpuNodesOnly: Bool = true) -> [Scenario.NodeGroup] {
        var counts: [TraceShape: Int] = [:]
        var order: [TraceShape] = []
        for node in nodes where !(gpuNodesOnly && node.gpus == 0) {
            let shape = TraceShape(gpus: node.gpus, cpuMilli: node.cpuMilli, memoryMiB: node.memoryMiB)
            if counts[shape] == nil { order.append(shape) }
            counts[shape, default: 0] += 1
        }
        return order.enumerated().map { i, shape in
            Scenario.NodeGroup(
                name: "trace-\(shape.gpus)g-\(i)", count: counts[shape] ?? 0, gpuModel: shape.gpus > 0 ? model : nil,
                gpuProduct: shape.gpus > 0 ? model.productLabels.first : nil, gpusPerNode: shape.gpus,
                cpu: Quantity(milli: shape.cpuMilli), memory: Quantity(bytes: shape.memoryMiB << 20)
            )
        }
    }

    /// A scenario replaying a pod trace on the cluster of a node trace, both mapped to `model`.
    ///
    /// - Parameters:
    ///   - podsCSV, nodesCSV: file contents (``TraceCSV``); `podsFile`/`nodesFile` name them in errors.
    ///   - compression: trace seconds per simulated second (see ``workload(_:mapping:compression:namespace:file:)``).
    /// - Returns: the scenario (dynamic partitioning; set ``Scenario/partitioning`` for a static
    ///   comparison) and the mapping summary to print.
    /// - Throws: ``SimulationError`` naming the file, line and column of unusable input.
    public static func scenario(
        podsCSV: String, podsFile: String = "pods.csv", nodesCSV: String, nodesFile: String = "nodes.csv",
        mapping: ProfileMapping, compression: Double = 1, timeScale: Double = 60
    ) throws(SimulationError) -> (scenario: Scenario, summary: MappingSummary) {
        let pods = try TraceCSV.pods(podsCSV, file: podsFile)
        let nodes = try TraceCSV.nodes(nodesCSV, file: nodesFile)
        let (workload, summary) = try workload(pods, mapping: mapping, compression: compression, file: podsFile)
        let groups = nodeGroups(nodes, model: mapping.model, gpuNodesOnly: !mapping.keepsCPUOnly)
        guard !groups.isEmpty else { throw .invalidTrace(file: nodesFile, line: 1, column: "gpu", reason: "no node with GPUs") }
        var scenario = Scenario(name: "trace \(podsFile) on \(nodesFile) (\(mapping.model.id))", timeScale: timeScale, nodes: groups, pods: [])
        scenario.replay = workload
        return (scenario, summary)
    }

    struct TraceShape: Hashable {
        var gpus: Int
        var cpuMilli: Int
        var memoryMiB: Int
    }
}
