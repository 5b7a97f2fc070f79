import Foundation
import KubeCore
import N8sCore

/// The scenario `n8s sim` runs with no argument: 8 nodes × 8 H100-80GB (NVIDIA-H100-80GB-HBM3),
/// and a workload drawn by a seeded generator whose size mix and arrival pattern follow the
/// Alibaba GPU cluster trace v2023 (`openb_pod_list_default.csv`; Weng et al., "Beware of
/// Fragmentation", ATC '23). Only the statistics below are in the repository, never trace rows
/// (the trace is for research use only).
///
/// The constants were printed by:
///
///     n8s sim trace-stats --trace <trace folder>/openb_pod_list_default.csv \
///         --model NVIDIA-H100-80GB-HBM3
///
/// (mapping: ``ProfileMapping`` defaults, compute share only). Generation:
/// - each pod's request is drawn from ``requestShares`` (share of GPU pods per mapped request:
///   a MIG profile for GPU-sharing pods, `<n>x7g.80gb` for pods of n whole GPUs);
/// - inter-arrival gaps and run durations are drawn from the trace's quantile functions
///   (``interArrivalSeconds``, ``durationSeconds`` at ``TraceStatistics/levels``, linear between
///   levels); durations only up to the p90 level (the tail is censored by the trace's end and
///   longer than a demo run), gaps up to p99;
/// - gaps are divided by a compression factor chosen so that the offered load (mean GPU memory
///   requested × mean duration ÷ mean gap) equals ``Parameters/targetLoad`` of the cluster's GPU
///   memory; durations keep the trace's scale;
/// - CPU and memory are the trace's median per GPU (``cpuMilliPerGPU``, ``memoryMiBPerGPU``)
///   times the pod's share of a GPU's memory;
/// - the run ends an hour after the last arrival, so late pods have time to be placed (a pod of 8
///   whole GPUs needs a whole node to drain, which long-running pods can prevent for hours).
public enum DefaultScenario {
    // MARK: Trace statistics (see the command above)

    // 8152 pods: 3078 GPU-sharing, 3986 whole-GPU (75 of them multi-GPU), 1088 CPU-only (left out).
    // Mapping to H100-80GB by compute share: gpu_milli 1-142 → 1g.10gb, 143-285 → 2g.20gb,
    // 286-428 → 3g.40gb, 429-571 → 4g.40gb, 572-999 → 7g.80gb; n whole GPUs → n × 7g.80gb.

    /// Share of GPU pods per mapped request (sums to 1).
    static let requestShares: [(request: String, share: Double)] = [
        ("1g.10gb", 0.0045), ("2g.20gb", 0.0396), ("3g.40gb", 0.0551), ("4g.40gb", 0.1375), ("7g.80gb", 0.1990),
        ("1x7g.80gb", 0.5537), ("2x7g.80gb", 0.0023), ("4x7g.80gb", 0.0021), ("8x7g.80gb", 0.0062),
    ]
    /// Seconds between consecutive pod creations at ``TraceStatistics/levels`` (p0, p10, ..., p90, p95, p99).
    static let interArrivalSeconds: [Double] = [0.0, 6.0, 32.0, 59.0, 103.0, 161.0, 238.0, 356.0, 544.0, 948.0, 1467.5, 3421.5]
    /// Seconds from creation to deletion at the same levels.
    static let durationSeconds: [Double] = [0.0, 80.0, 146.0, 202.0, 301.0, 540.0, 883.0, 1420.8, 2699.4, 6573.4, 16398.6, 96509.6]
    /// Median CPU millicores per GPU-equivalent of GPU pods.
    static let cpuMilliPerGPU = 11400.0
    /// Median memory MiB per GPU-equivalent of GPU pods.
    static let memoryMiBPerGPU = 48128.0

    // MARK: Generator

    public struct Parameters: Sendable, Hashable {
        public var seed: UInt64 = 2023
        public var pods = 300
        public var nodes = 8
        public var gpusPerNode = 8
        public var product = "NVIDIA-H100-80GB-HBM3"
        /// Offered GPU-memory load as a share of the cluster's (above 1 keeps a queue).
        public var targetLoad = 1.0
        /// Simulated seconds per real second.
        public var timeScale = 60.0
        public init() {}
    }

    /// Levels up to which durations and gaps are drawn.
    static let durationTop = 0.9
    static let gapTop = 0.99

    /// The generated scenario; the same `parameters` give the same scenario on every platform.
    /// - Throws: ``SimulationError/invalidField(field:reason:)`` when the product or a profile of
    ///   the statistics is not in `catalog`.
    public static func scenario(_ parameters: Parameters = Parameters(), catalog: MIGCatalog) throws(SimulationError) -> Scenario {
        let model: GPUModel
        do { model = try catalog.model(forProduct: parameters.product).model } catch {
            throw .invalidField(field: "product", reason: "\(error)")
        }
        guard let full = model.fullGPUProfile else { throw .invalidField(field: "product", reason: "\(model.id) has no full-GPU profile") }
        let requests = try requestShares.map { entry throws(SimulationError) -> (Scenario.GPURequest, Double, Double) in
            let request = try parseRequest(entry.request, model: model, full: full.name)
            return (request, entry.share, gpuShare(request, model: model))
        }
        guard !requests.isEmpty else { throw .invalidField(field: "requestShares", reason: "is empty") }
        let meanGPU = requests.reduce(0) { $0 + $1.1 * $1.2 } / max(requests.reduce(0) { $0 + $1.1 }, 1e-9)
        let meanGap = quantileMean(interArrivalSeconds, upTo: gapTop)
        let meanDuration = quantileMean(durationSeconds, upTo: durationTop)
        let gpus = Double(parameters.nodes * parameters.gpusPerNode)
        let compression = parameters.targetLoad * gpus * meanGap / max(meanGPU * meanDuration, 1e-9)

        var rng = SplitMix64(seed: parameters.seed)
        var groups: [Scenario.PodGroup] = []
        var clock = 0.0
        let width = String(parameters.pods - 1).count
        for i in 0..<parameters.pods {
            clock += quantile(interArrivalSeconds, at: uniform(&rng) * gapTop) / compression
            let duration = max(30, quantile(durationSeconds, at: uniform(&rng) * durationTop))
            let (request, _, share) = pick(requests, &rng)
            let index = String(i)
            groups.append(Scenario.PodGroup(
                name: "pod-" + String(repeating: "0", count: width - index.count) + index,
                arrival: .seconds(clock.rounded()), duration: .seconds(duration.rounded()), gpu: request,
                cpu: Quantity(milli: max(100, Int(cpuMilliPerGPU * share))),
                memory: Quantity(bytes: max(256, Int(memoryMiBPerGPU * share)) << 20)
            ))
        }
        let node = Scenario.NodeGroup(
            name: "h100", count: parameters.nodes, gpuModel: model, gpuProduct: model.productLabels.first ?? parameters.product,
            gpusPerNode: parameters.gpusPerNode, cpu: Quantity(128), memory: Quantity(bytes: 1 << 40)
        )
        let stop = ((clock + 3600) / 60).rounded(.up) * 60
        return Scenario(name: "default (Alibaba v2023 statistics, seed \(parameters.seed))", timeScale: parameters.timeScale,
                        stopAfter: .seconds(stop), nodes: [node], pods: groups)
    }

    /// `1g.10gb` or `<n>x<full profile>`.
    static func parseRequest(_ text: String, model: GPUModel, full: String) throws(SimulationError) -> Scenario.GPURequest {
        if let m = text.wholeMatch(of: /([0-9]+)x(.+)/), let n = Int(m.1) { return .wholeGPUs(count: n, fullProfile: full) }
        guard let p = model.profile(named: text) else { throw .invalidField(field: "requestShares", reason: "unknown profile '\(text)' for \(model.id)") }
        return .mig(profile: p.name, count: 1)
    }

    /// GPUs' worth of memory a request takes (`1g.10gb` on an 80 GB model: 0.125).
    static func gpuShare(_ request: Scenario.GPURequest, model: GPUModel) -> Double {
        let fullGB = Double(model.fullGPUProfile?.nominalMemoryGB ?? 1)
        switch request {
        case .cpuOnly: return 0
        case .mig(let profile, let count): return Double((model.profile(named: profile)?.nominalMemoryGB ?? 0) * count) / fullGB
        case .wholeGPUs(let count, _): return Double(count)
        }
    }

    static func uniform(_ rng: inout SplitMix64) -> Double { Double(rng.next() >> 11) / Double(1 << 53) }

    static func pick<T>(_ items: [(T, Double, Double)], _ rng: inout SplitMix64) -> (T, Double, Double) {
        let total = items.reduce(0) { $0 + $1.1 }
        var u = uniform(&rng) * total
        for item in items {
            u -= item.1
            if u < 0 { return item }
        }
        return items[items.count - 1]
    }

    /// The quantile function through (``TraceStatistics/levels``, `values`), linear between levels.
    static func quantile(_ values: [Double], at u: Double) -> Double {
        let levels = TraceStatistics.levels
        guard values.count == levels.count else { return 0 }
        for i in 1..<levels.count where u <= levels[i] {
            let t = (u - levels[i - 1]) / (levels[i] - levels[i - 1])
            return values[i - 1] + t * (values[i] - values[i - 1])
        }
        return values[values.count - 1]
    }

    /// Mean of ``quantile(_:at:)`` for u uniform in 0...top (exact for the piecewise-linear function).
    static func quantileMean(_ values: [Double], upTo top: Double) -> Double {
        let levels = TraceStatistics.levels
        guard values.count == levels.count, top > 0 else { return 0 }
        var area = 0.0
        for i in 1..<levels.count where levels[i - 1] < top {
            let hi = min(levels[i], top)
            let (a, b) = (values[i - 1], quantile(values, at: hi))
            area += (hi - levels[i - 1]) * (a + b) / 2
        }
        return area / top
    }
}
