import KubeCore

/// Faults injected into a simulation: the scenario's `faults:` section (schema in
/// `scenarios/example.yaml`), or `n8s sim --faults standard` for any scenario.
///
/// Seeded: one seed decides every fault's schedule (which calls fail, in the order calls arrive;
/// when watches drop; when each process is killed), so a run with the same seed meets the same
/// faults. How the components interleave with them still depends on the machine's scheduling.
///
/// Kills stop a component's task at once (the `Service` stops wherever it is, mid-reconcile
/// included: at its next suspension point, as a process killed between two system calls would);
/// after ``restartDelay`` a new one starts from nothing (empty caches, no memory). A replica
/// killed while leading does not release its lease: the other takes over when it expires.
public struct FaultPlan: Sendable, Hashable {
    /// A component whose API calls can fail.
    public enum Component: String, Sendable, Hashable, CaseIterable {
        case migAgent = "mig-agent"
        case gpuPartitioner = "gpu-partitioner"
        case scheduler

        /// The `User-Agent` prefix of its clients in a simulation run.
        public var userAgent: String { "n8s-sim-\(rawValue)" }
    }

    public var seed: UInt64 = 1
    /// Share of the API calls of each of ``apiErrorComponents`` answered with an error
    /// (409, 429 with Retry-After, 500 or 503, drawn alike), 0...1.
    public var apiErrorRate: Double = 0
    public var apiErrorComponents: Set<Component> = Set(Component.allCases)
    /// Mean simulated time between drops of every open watch of the components (random instants);
    /// `nil`: never.
    public var watchDropEvery: Duration?
    /// Share of watch drops that also expire the server's history, so the resumed watch gets
    /// `410 Gone` and the client relists, 0...1.
    public var watchExpiryShare: Double = 0.5
    /// Mean simulated time between kills of each MIG agent process; `nil`: never.
    public var agentKillEvery: Duration?
    /// Mean simulated time between kills of the partitioner's leader (with one replica: of the
    /// partitioner); `nil`: never.
    public var partitionerKillEvery: Duration?
    /// Simulated time from a kill to the new process's start.
    public var restartDelay: Duration = .seconds(5)
    /// Partitioner replicas; with 2 or more they elect a leader on a Lease.
    public var partitionerReplicas = 1
    /// From the device plugin pod's deletion to the new one registering (a slow plugin);
    /// overrides `timing.devicePluginRestart`.
    public var devicePluginRestart: Duration?
    /// How much later than NVML the kubelet advertises new devices; overrides
    /// `timing.migReconfiguration`.
    public var kubeletAdvertiseDelay: Duration?
    /// Mean simulated time between reboots of each node (instances and processes gone, its pods
    /// failed, NotReady for ``nodeDownFor``, its MIG agent restarted); `nil`: never.
    public var nodeRebootEvery: Duration?
    public var nodeDownFor: Duration = .seconds(60)
    /// Share of device plugin pod starts that crash and wait out a CrashLoopBackOff, 0...1.
    public var devicePluginCrashShare: Double = 0
    /// API errors, watch drops and kills stop this long after the start (a calm end shows
    /// whether the system recovers); `nil`: they go on to the end.
    public var activeFor: Duration?

    public init() {}

    /// `true` when it injects nothing.
    public var isEmpty: Bool {
        apiErrorRate == 0 && watchDropEvery == nil && agentKillEvery == nil && partitionerKillEvery == nil && partitionerReplicas == 1
            && devicePluginRestart == nil && kubeletAdvertiseDelay == nil && nodeRebootEvery == nil && devicePluginCrashShare == 0
    }

    /// The preset of `--faults standard`: 10% API errors for every component, watches dropped
    /// every 2 minutes on average (half of the drops expire the history), each MIG agent killed
    /// every 10 minutes and the partitioner's leader every 10 minutes on average, two partitioner
    /// replicas, restarts after 5 s.
    public static func standard(seed: UInt64 = 1) -> FaultPlan {
        var p = FaultPlan()
        p.seed = seed
        p.apiErrorRate = 0.1
        p.watchDropEvery = .seconds(120)
        p.agentKillEvery = .seconds(600)
        p.partitionerKillEvery = .seconds(600)
        p.partitionerReplicas = 2
        return p
    }

    /// Named presets (`--faults <name>`, or `faults: <name>` in a scenario).
    public static func preset(_ name: String, seed: UInt64 = 1) -> FaultPlan? {
        switch name {
        case "none": FaultPlan()
        case "standard": standard(seed: seed)
        default: nil
        }
    }

    /// One line for logs and reports, e.g. `seed 1, API errors 10%, watch drops every 2m, ...`.
    public var summary: String {
        if isEmpty { return "none" }
        var parts = ["seed \(seed)"]
        if apiErrorRate > 0 {
            parts.append("API errors \(Int((apiErrorRate * 100).rounded()))% (\(apiErrorComponents.map(\.rawValue).sorted().joined(separator: ", ")))")
        }
        if let d = watchDropEvery { parts.append("watch drops every \(DurationText.format(d))") }
        if let d = agentKillEvery { parts.append("agent kills every \(DurationText.format(d))") }
        if let d = partitionerKillEvery { parts.append("partitioner kills every \(DurationText.format(d))") }
        if partitionerReplicas > 1 { parts.append("\(partitionerReplicas) partitioner replicas") }
        if let d = devicePluginRestart { parts.append("device plugin restarts take \(DurationText.format(d))") }
        if let d = kubeletAdvertiseDelay { parts.append("kubelet advertises \(DurationText.format(d)) late") }
        if let d = nodeRebootEvery { parts.append("node reboots every \(DurationText.format(d)) (down \(DurationText.format(nodeDownFor)))") }
        if devicePluginCrashShare > 0 { parts.append("\(Int((devicePluginCrashShare * 100).rounded()))% of device plugin starts crash") }
        if let d = activeFor { parts.append("for the first \(DurationText.format(d))") }
        return parts.joined(separator: ", ")
    }
}
