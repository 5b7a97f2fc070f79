import Foundation
import KubeCore
import KubeRuntime
import N8sCore
import Synchronization

/// Collects what a simulation run did, as time series and per-pod times, from pod and node watch
/// changes (``observe(_:at:)-(StoreChange<Pod>,_)``) and from events pushed by the simulated
/// components (``violation(_:_:at:)``, ``reconfigured(gpus:at:)``).
///
/// Times are the simulation clock's instants; series are in seconds since ``start``.
/// Thread-safe; reads never suspend.
public final class SimulationRecorder: Sendable {
    /// One point of the time series.
    public struct Sample: Sendable, Hashable, Codable {
        /// Simulated seconds since the start.
        public var seconds: Double
        /// Pods created and not yet bound (and not deleted).
        public var pendingPods: Int
        public var arrivedPods: Int
        public var scheduledPods: Int
        /// GPU memory requested by bound, non-terminal pods ÷ the cluster's GPU memory, 0...1.
        public var allocationRatio: Double
        /// MIG reconfigurations so far (GPUs whose layout changed, counted per change).
        public var reconfigurations: Int
    }

    struct PodRecord {
        var arrival: Date
        var bound: Date?
        var gone: Date?
        var gpuMemoryGB = 0
        var isTerminal = false
    }

    struct State {
        var pods: [ObjectKey: PodRecord] = [:]
        var placements: [String: String] = [:]
        var reconfigurations = 0
        var violations = SafetyViolations()
        var violationDetails: [String] = []
        var samples: [Sample] = []
    }

    public let start: Date
    /// Total GPU memory of the cluster in GB (e.g. 64 GPUs × 80).
    public let gpuMemoryCapacityGB: Double
    private let state = Mutex(State())

    public init(start: Date, gpuMemoryCapacityGB: Double) {
        self.start = start
        self.gpuMemoryCapacityGB = gpuMemoryCapacityGB
    }

    // MARK: Events

    /// A pod change from a watch: creation is the arrival (`creationTimestamp`, else `at`), the
    /// first change with `spec.nodeName` set is the binding, deletion or a terminal phase ends it.
    public func observe(_ change: StoreChange<Pod>, at now: Date) {
        let pod = change.object
        state.withLock { s in
            var record = s.pods[pod.key] ?? PodRecord(arrival: pod.metadata.creationTimestamp ?? now)
            if let node = pod.spec.nodeName, !node.isEmpty, record.bound == nil {
                record.bound = pod.status?.condition("PodScheduled")?.lastTransitionTime.map { max($0, record.arrival) } ?? now
            }
            record.gpuMemoryGB = (try? PodRequests(pod.spec).gpuMemoryGB(gpuMemoryPerGPU: 0)) ?? 0
            record.isTerminal = pod.status?.isTerminal ?? false
            if case .deleted = change { record.gone = record.gone ?? now }
            s.pods[pod.key] = record
        }
    }

    /// A node change from a watch: every change of a `status-gpu-<i>-placements` annotation
    /// counts as one reconfiguration of that GPU (the first report of a GPU does not).
    public func observe(_ change: StoreChange<Node>, at now: Date) {
        guard case .applied(let node, _) = change else { return }
        let name = node.metadata.name ?? ""
        state.withLock { s in
            for (key, value) in node.metadata.annotations ?? [:] where key.hasPrefix("n8s.nebuly.ai/status-gpu-") && key.hasSuffix("-placements") {
                let layout = value.split(separator: ",").map { $0.split(separator: ":").first.map(String.init) ?? "" }.sorted().joined(separator: ",")
                let id = "\(name)/\(key)"
                if let old = s.placements[id], old != layout { s.reconfigurations += 1 }
                s.placements[id] = layout
            }
        }
    }

    /// Pushed by the simulated GPUs or agents: `gpus` MIG reconfigurations happened.
    public func reconfigured(gpus: Int = 1, at now: Date) { state.withLock { $0.reconfigurations += gpus } }

    /// Pushed by the simulated nodes: a safety violation of `kind` (must never happen).
    public func violation(_ kind: SafetyViolations.Kind, _ detail: String, at now: Date) {
        state.withLock { s in
            s.violations[kind] += 1
            s.violationDetails.append(detail)
        }
    }

    /// Appends one sample of the current state at `now`.
    public func sample(at now: Date) {
        state.withLock { s in s.samples.append(Self.sample(s, at: now, start: start, capacity: gpuMemoryCapacityGB)) }
    }

    static func sample(_ s: State, at now: Date, start: Date, capacity: Double) -> Sample {
        var pending = 0
        var scheduled = 0
        var allocated = 0
        for record in s.pods.values {
            if record.bound != nil { scheduled += 1 } else if record.gone == nil { pending += 1 }
            if record.bound != nil, record.gone == nil, !record.isTerminal { allocated += record.gpuMemoryGB }
        }
        return Sample(
            seconds: now.timeIntervalSince(start), pendingPods: pending, arrivedPods: s.pods.count, scheduledPods: scheduled,
            allocationRatio: capacity > 0 ? Double(allocated) / capacity : 0, reconfigurations: s.reconfigurations
        )
    }

    // MARK: Results

    /// One line for a terminal while the run goes on, e.g.
    /// `t=12m3s arrived 120 scheduled 100 pending 20 GPU memory 63% reconfigurations 14`.
    public func progressLine(at now: Date) -> String {
        let s = state.withLock { Self.sample($0, at: now, start: start, capacity: gpuMemoryCapacityGB) }
        return "t=\(DurationText.format(.seconds(s.seconds.rounded()))) arrived \(s.arrivedPods) scheduled \(s.scheduledPods) "
            + "pending \(s.pendingPods) GPU memory \(Int((s.allocationRatio * 100).rounded()))% reconfigurations \(s.reconfigurations)"
    }

    public var samples: [Sample] { state.withLock { $0.samples } }
    /// The safety figures so far, and each violation's text in order.
    public var violations: SafetyViolations { state.withLock { $0.violations } }
    public var violationDetails: [String] { state.withLock { $0.violationDetails } }

    /// The figures of the run, ended at `end`.
    ///
    /// Pending time of a pod: binding − arrival; for a pod never bound, (deletion or `end`) −
    /// arrival, so runs that starve pods are not flattered. Allocation ratio mean: time-weighted
    /// over the samples (each sample holds until the next; the last until `end`).
    public func result(name: String, partitioning: String, end: Date) -> SimulationResult {
        state.withLock { s in
            var samples = s.samples
            samples.append(Self.sample(s, at: end, start: start, capacity: gpuMemoryCapacityGB))
            var perPod: [String: Double] = [:]
            for (key, r) in s.pods { perPod[key.description] = max(0, (r.bound ?? r.gone ?? end).timeIntervalSince(r.arrival)) }
            let waits = perPod.values.sorted()
            let last = samples[samples.count - 1]
            var weighted = 0.0
            for (a, b) in zip(samples, samples.dropFirst()) { weighted += a.allocationRatio * max(0, b.seconds - a.seconds) }
            let span = max(0, last.seconds - (samples.first?.seconds ?? 0))
            let summary = SimulationSummary(
                name: name, partitioning: partitioning, simulatedSeconds: end.timeIntervalSince(start),
                podsArrived: s.pods.count, podsScheduled: last.scheduledPods, podsPending: last.pendingPods,
                pendingP50Seconds: Percentiles.value(0.5, ofSorted: waits) ?? 0, pendingP95Seconds: Percentiles.value(0.95, ofSorted: waits) ?? 0,
                allocationRatioMean: span > 0 ? weighted / span : last.allocationRatio,
                allocationRatioMax: samples.map(\.allocationRatio).max() ?? 0,
                reconfigurations: s.reconfigurations, violations: s.violations
            )
            var result = SimulationResult(summary: summary, samples: samples, pendingSeconds: perPod, violationDetails: s.violationDetails)
            result.scheduledPods = Set(s.pods.filter { $0.value.bound != nil }.map(\.key.description))
            return result
        }
    }
}
