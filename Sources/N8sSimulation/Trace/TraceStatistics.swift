import Foundation
import N8sCore

/// Statistics of a pod trace that shape the embedded default scenario (``DefaultScenario``):
/// the size mix after mapping to a GPU model and the arrival pattern. Printed by
/// `n8s sim trace-stats`.
public struct TraceStatistics: Sendable, Hashable {
    /// Quantile levels of ``interArrivalSeconds`` and ``durationSeconds``.
    public static let levels: [Double] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99]

    public var pods = 0
    public var cpuOnlyPods = 0
    public var sharingPods = 0
    public var wholeGPUPods = 0
    /// Share of GPU pods (sharing + whole) per mapped request: profile name for sharing pods,
    /// `"<n>x<full profile>"` for whole-GPU pods of n GPUs. Sums to 1.
    public var requestShares: [String: Double] = [:]
    /// Seconds between consecutive creations (all pods, sorted by creation), at ``levels``.
    public var interArrivalSeconds: [Double] = []
    /// `deletion_time − creation_time` in seconds of pods that have one, at ``levels``.
    public var durationSeconds: [Double] = []
    /// Median CPU millicores per GPU-equivalent (sharing pods weigh `gpu_milli / 1000`).
    public var cpuMilliPerGPU = 0.0
    /// Median memory MiB per GPU-equivalent.
    public var memoryMiBPerGPU = 0.0

    /// - Throws: what ``ProfileMapping/request(for:file:)`` throws for unusable rows.
    public init(pods trace: [TracePod], mapping: ProfileMapping, file: String = "pods.csv") throws(SimulationError) {
        pods = trace.count
        var counts: [String: Int] = [:]
        var cpuPerGPU: [Double] = []
        var memoryPerGPU: [Double] = []
        for pod in trace {
            var keep = mapping
            keep.keepsCPUOnly = true
            switch try keep.request(for: pod, file: file) {
            case .cpuOnly, nil:
                cpuOnlyPods += 1
                continue
            case .mig(let profile, _):
                sharingPods += 1
                counts[profile, default: 0] += 1
            case .wholeGPUs(let n, let full):
                wholeGPUPods += 1
                counts["\(n)x\(full)", default: 0] += 1
            }
            let gpus = pod.gpuMilli >= 1000 ? Double(pod.numGPU) : Double(pod.gpuMilli) / 1000
            cpuPerGPU.append(Double(pod.cpuMilli) / gpus)
            memoryPerGPU.append(Double(pod.memoryMiB) / gpus)
        }
        let gpuPods = Double(max(sharingPods + wholeGPUPods, 1))
        requestShares = counts.mapValues { Double($0) / gpuPods }
        let creations = trace.map { Double($0.creationTime) }.sorted()
        let gaps = zip(creations.dropFirst(), creations).map { $0 - $1 }.sorted()
        let durations = trace.compactMap { p in p.deletionTime.map { Double(max(0, $0 - p.creationTime)) } }.sorted()
        interArrivalSeconds = Self.levels.map { Percentiles.value($0, ofSorted: gaps) ?? 0 }
        durationSeconds = Self.levels.map { Percentiles.value($0, ofSorted: durations) ?? 0 }
        cpuMilliPerGPU = Percentiles.value(0.5, of: cpuPerGPU) ?? 0
        memoryMiBPerGPU = Percentiles.value(0.5, of: memoryPerGPU) ?? 0
    }

    /// Human-readable report, and the Swift literals ``DefaultScenario`` is built from.
    public var text: String {
        var lines = [
            "pods: \(pods) (GPU-sharing \(sharingPods), whole-GPU \(wholeGPUPods), CPU-only \(cpuOnlyPods))",
            "",
            TextTable.render([["REQUEST", "SHARE OF GPU PODS"]] + requestShares.sorted { $0.key < $1.key }.map { [$0.key, Self.fmt($0.value, 4)] }),
            "",
            TextTable.render(
                [["QUANTILE", "INTER-ARRIVAL S", "DURATION S"]]
                    + Self.levels.indices.map { ["p\(Int((Self.levels[$0] * 100).rounded()))", Self.fmt(interArrivalSeconds[$0], 1), Self.fmt(durationSeconds[$0], 1)] }
            ),
            "",
            "median CPU per GPU: \(Self.fmt(cpuMilliPerGPU, 0)) millicores; median memory per GPU: \(Self.fmt(memoryMiBPerGPU, 0)) MiB",
            "",
            "// Swift constants:",
            "static let requestShares: [(request: String, share: Double)] = ["
                + requestShares.sorted { $0.key < $1.key }.map { "(\"\($0.key)\", \(Self.fmt($0.value, 4)))" }.joined(separator: ", ") + "]",
            "static let interArrivalSeconds: [Double] = [" + interArrivalSeconds.map { Self.fmt($0, 1) }.joined(separator: ", ") + "]",
            "static let durationSeconds: [Double] = [" + durationSeconds.map { Self.fmt($0, 1) }.joined(separator: ", ") + "]",
            "static let cpuMilliPerGPU = \(Self.fmt(cpuMilliPerGPU, 0)).0",
            "static let memoryMiBPerGPU = \(Self.fmt(memoryMiBPerGPU, 0)).0",
        ]
        lines = lines.map(\.trimmingTrailingSpaces)
        return lines.joined(separator: "\n")
    }

    static func fmt(_ value: Double, _ digits: Int) -> String {
        var s = String(format: "%.\(digits)f", value)
        if digits == 0, s.hasSuffix(".0") { s.removeLast(2) }
        return s
    }
}
