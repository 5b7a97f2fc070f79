import Foundation
import KubeCore
import KubeSim
import Logging
import N8sCore
import Synchronization

/// Many short seeded simulations with faults (`n8s sim fault-campaign`): small clusters of one
/// GPU model (A30, A100-40GB or H100-80GB; 1–3 nodes of 1–2 GPUs), pods of mixed profiles that
/// all fit together in some layout of every GPU (each GPU's target drawn from its model's valid
/// layouts, pods drawn from its instances), arriving over the first minute and running past the
/// end, under ``FaultPlan/standard(seed:)`` with watch drops every minute and kills every 2
/// minutes on average, node reboots every 10 minutes on average (30 s down) and 10% of device
/// plugin starts crashing, for the first 4 minutes (the calm after shows whether the system
/// recovers). A trial ends once it has settled (``settled(_:nodes:catalog:elapsed:)``), at the
/// latest after 20 minutes: leases and other waits made for a cluster's latencies are stretched
/// at high time scales (``SimulationRun/latencyStretch(_:)``: a killed leader is replaced after
/// up to 3 minutes at 120x), so recovery may take several minutes of simulated time. Pods a
/// reboot failed are gone (lost to the reboot) and need not run.
///
/// A trial **converges** when, at its end, no pending pod fits a layout reachable from the
/// cluster as it really is (the simulated GPUs' instances; used ones stay where they are): the
/// planner's own pure function, run on that state, finds none to place. Every trial must converge and count 0 violations.
public enum FaultCampaign {
    /// Totals over the trials.
    public struct Totals: Sendable, Hashable {
        public var trials = 0
        public var kills = 0
        public var apiFaults = 0
        public var watchDrops = 0
        public var podsArrived = 0
        public var podsScheduled = 0
        public var violations = SafetyViolations()
        public var notConverged = 0
        /// Runs that stopped with an error (a component failed, the cluster could not be built).
        public var failedRuns = 0
        /// Trials that did not converge or broke a rule, and runs that failed, one line each.
        public var problems: [String] = []

        public init() {}

        public static func + (a: Self, b: Self) -> Self {
            var t = a
            t.trials += b.trials
            t.kills += b.kills
            t.apiFaults += b.apiFaults
            t.watchDrops += b.watchDrops
            t.podsArrived += b.podsArrived
            t.podsScheduled += b.podsScheduled
            t.violations = t.violations + b.violations
            t.notConverged += b.notConverged
            t.failedRuns += b.failedRuns
            t.problems += b.problems
            return t
        }

        /// `true` with 0 violations, every trial converged, and no run failed.
        public var isClean: Bool { violations.total == 0 && notConverged == 0 && failedRuns == 0 }

        /// The one line of totals.
        public var line: String {
            "trials \(trials) kills \(kills) api-faults \(apiFaults) watch-drops \(watchDrops) pods \(podsArrived) scheduled \(podsScheduled) "
                + "violations \(violations.total) (\(violations.line)) not-converged \(notConverged) failed-runs \(failedRuns)"
        }
    }

    static let models = ["a30-24gb", "a100-40gb", "h100-80gb"]
    /// Faults are injected this long from a trial's start.
    static let faultsFor = Duration.seconds(240)
    /// A trial that has not settled by then ends there (and is judged as it stands).
    static let longest = Duration.seconds(1200)

    /// `true` once a trial has settled, so it may end before ``longest``: faults are over, every
    /// node's agent has echoed its node's latest plan, and no pending pod fits a reachable layout.
    static func settled(_ sim: KubeSim, nodes: [SimulatedNode], catalog: MIGCatalog, elapsed: Duration) -> Bool {
        guard elapsed >= faultsFor + .seconds(30) else { return false }
        for member in nodes {
            guard let node = try? sim.get(Node.self, name: member.name) else { return false }
            let annotations = NodeMIGAnnotations(parsing: node.metadata.annotations ?? [:])
            if let spec = annotations.specPlanID, spec != annotations.statusPlanID { return false }
        }
        return unconverged(sim, nodes: nodes, catalog: catalog).isEmpty
    }

    /// The pods a trial's end found still placeable.
    final class Stuck: Sendable {
        let pods = Mutex<[String]>([])
    }

    /// The scenario of trial `index` of a campaign seeded `seed` (the same pair, the same scenario).
    public static func scenario(trial index: Int, seed: UInt64, catalog: MIGCatalog, timeScale: Double, faults withFaults: Bool = true) -> Scenario? {
        var rng = SplitMix64(seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
        guard let model = catalog.model(id: models[rng.below(models.count)]), let space = try? LayoutSpace(model) else { return nil }
        let layouts = space.allLayouts(includingVariants: false).filter { !$0.isEmpty }
        guard !layouts.isEmpty else { return nil }
        let nodeCount = 1 + rng.below(3)
        let gpus = 1 + rng.below(2)
        let group = Scenario.NodeGroup(
            name: "gpu", count: nodeCount, gpuModel: model, gpuProduct: model.productLabels.first ?? model.products.first,
            gpusPerNode: gpus, cpu: Quantity(64), memory: Quantity(bytes: 512 << 30))
        var pods: [Scenario.PodGroup] = []
        for _ in 0..<(nodeCount * gpus) {
            let target = layouts[rng.below(layouts.count)]
            for instance in target where rng.below(10) < 7 {
                pods.append(Scenario.PodGroup(
                    name: "p\(pods.count)", arrival: .seconds(rng.below(60)), duration: .seconds(3600),
                    gpu: .mig(profile: instance.profile, count: 1)))
            }
        }
        if pods.isEmpty, let first = layouts.first?.first {
            pods.append(Scenario.PodGroup(name: "p0", duration: .seconds(3600), gpu: .mig(profile: first.profile, count: 1)))
        }
        var scenario = Scenario(name: "campaign-\(seed)-\(index)", timeScale: timeScale, stopAfter: longest, nodes: [group], pods: pods)
        var faults = FaultPlan.standard(seed: seed &+ UInt64(index))
        faults.watchDropEvery = .seconds(60)
        faults.agentKillEvery = .seconds(120)
        faults.partitionerKillEvery = .seconds(120)
        faults.nodeRebootEvery = .seconds(600)
        faults.nodeDownFor = .seconds(30)
        faults.devicePluginCrashShare = 0.1
        faults.activeFor = faultsFor
        if withFaults { scenario.faults = faults }
        return scenario
    }

    /// Runs one trial.
    /// - Parameter dump: a directory where a trial that does not converge leaves its nodes and
    ///   pods at the end (`trial-<index>.json`, a v1 List like `kubectl get nodes,pods -A -o
    ///   json`; `n8s plan --snapshot` reads it), its Events (`trial-<index>.events.txt`) and, unless
    ///   `logLevel` already sends the logs to the process's logging, its components' logs at info
    ///   (`trial-<index>.log`).
    public static func trial(
        _ index: Int, seed: UInt64, catalog: MIGCatalog, timeScale: Double, faults: Bool = true, logLevel: Logger.Level = .critical, dump: String? = nil,
        watch: TrialWatch? = nil
    ) async -> Totals {
        var totals = Totals()
        totals.trials = 1
        guard let scenario = scenario(trial: index, seed: seed, catalog: catalog, timeScale: timeScale, faults: faults) else {
            totals.failedRuns = 1
            totals.problems.append("trial \(index): no scenario")
            return totals
        }
        let stuck = Stuck()
        var options = SimulationRun.Options()
        options.progressEvery = nil
        options.logLevel = logLevel
        // With a dump folder, every trial keeps its components' logs (info) in memory, to leave
        // them beside the dump of a trial that does not converge.
        let log = dump == nil || logLevel <= .info ? nil : (watch?.log ?? TrialLog())
        if let watch { options.onStuck = { message in watch.stuck.withLock { $0 = message } } }
        if let log {
            options.logLevel = .info
            options.logHandler = { label, clock in log.handler(label: label, clock: clock) }
        }
        options.endWhen = { sim, nodes, elapsed in settled(sim, nodes: nodes, catalog: catalog, elapsed: elapsed) }
        options.atEnd = { sim, nodes in
            let left = unconverged(sim, nodes: nodes, catalog: catalog)
            stuck.pods.withLock { $0 = left }
            if !left.isEmpty, let dump {
                let dir = URL(fileURLWithPath: dump)
                try? snapshot(sim).write(to: dir.appendingPathComponent("trial-\(index).json"))
                try? Data(eventLog(sim).utf8).write(to: dir.appendingPathComponent("trial-\(index).events.txt"))
                if let log { try? Data(log.text.utf8).write(to: dir.appendingPathComponent("trial-\(index).log")) }
            }
        }
        do {
            let result = try await SimulationRun(scenario: scenario, catalog: catalog, options: options).run()
            let s = result.summary
            totals.kills = s.faults.kills
            totals.apiFaults = s.faults.apiErrors
            totals.watchDrops = s.faults.watchDrops
            totals.podsArrived = s.podsArrived
            totals.podsScheduled = s.podsScheduled
            totals.violations = s.violations
            let left = stuck.pods.withLock { $0 }
            if !left.isEmpty {
                totals.notConverged = 1
                totals.problems.append("trial \(index) (seed \(seed)): did not converge: \(left.joined(separator: ", ")) still fit a reachable layout")
            }
            if s.violations.total > 0 {
                totals.problems.append("trial \(index) (seed \(seed)): \(s.violations.line): " + result.violationDetails.prefix(3).joined(separator: "; "))
            }
        } catch {
            totals.failedRuns = 1
            totals.problems.append("trial \(index) (seed \(seed)): the run failed: \(error)")
        }
        return totals
    }

    /// Runs `trials` trials, `parallel` at a time; `progress` gets the totals so far and the
    /// trial just ended after each. `slow` is told of a trial still running long after its
    /// simulated time should have passed (index, real time so far); a trial that has not returned
    /// after ``abandonAfter(timeScale:)`` of real time is left behind and counted as a failed run
    /// (its run's own watchdog has logged where its teardown waits), so one hang cannot stop the
    /// campaign.
    public static func run(
        trials: Int, seed: UInt64, parallel: Int, timeScale: Double, faults: Bool = true, catalog: MIGCatalog, dump: String? = nil,
        progress: (@Sendable (_ totals: Totals, _ trial: Totals) -> Void)? = nil,
        slow: (@Sendable (_ trial: Int, _ running: Duration) -> Void)? = nil
    ) async -> Totals {
        var totals = Totals()
        let warnAfter = Duration.seconds(longest.seconds / timeScale) * 4 + .seconds(30)
        let limit = abandonAfter(timeScale: timeScale)
        @Sendable func watched(_ i: Int) async -> Totals {
            let watch = TrialWatch(log: dump == nil ? nil : TrialLog())
            let work = Task { await trial(i, seed: seed, catalog: catalog, timeScale: timeScale, faults: faults, dump: dump, watch: watch) }
            let warning = Task {
                try await Task.sleep(for: warnAfter)
                slow?(i, warnAfter)
            }
            defer { warning.cancel() }
            if let done = await first(of: work, within: limit) { return done }
            work.cancel()
            var hung = Totals()
            hung.trials = 1
            hung.failedRuns = 1
            let stuck = watch.stuck.withLock { $0 } ?? "no word from its run"
            hung.problems.append("trial \(i) (seed \(seed)): did not return within \(Int(limit.seconds)) s of real time; left behind (\(stuck))")
            if let dump, let log = watch.log {
                try? Data(log.text.utf8).write(to: URL(fileURLWithPath: dump).appendingPathComponent("trial-\(i).hung.log"))
            }
            return hung
        }
        await withTaskGroup(of: Totals.self) { group in
            var next = 0
            while next < min(parallel, trials) {
                let i = next
                group.addTask { await watched(i) }
                next += 1
            }
            for await one in group {
                totals = totals + one
                progress?(totals, one)
                if next < trials, !Task.isCancelled {
                    let i = next
                    group.addTask { await watched(i) }
                    next += 1
                }
            }
        }
        return totals
    }

    /// Real time after which a trial that has not returned is left behind: 20 times its longest
    /// simulated time at `timeScale`, plus a minute.
    public static func abandonAfter(timeScale: Double) -> Duration {
        .seconds(longest.seconds / timeScale) * 20 + .seconds(60)
    }

    /// `work`'s value, or `nil` when `limit` of `clock`'s time passes first (KubeCore's
    /// ``firstResult(of:within:clock:)``: `work` is not awaited past the limit).
    static func first<T: Sendable>(of work: Task<T, Never>, within limit: Duration, clock: any KubeClock = SystemClock()) async -> T? {
        await firstResult(of: work, within: limit, clock: clock)
    }

    /// The nodes and pods of `sim` as a v1 List (JSON).
    static func snapshot(_ sim: KubeSim) throws -> Data {
        var items: [JSONValue] = []
        for node in try sim.list(Node.self) {
            var v = try KubeJSON.value(of: node)
            v["apiVersion"] = .string(Node.apiVersion)
            v["kind"] = .string(Node.kind)
            items.append(v)
        }
        for pod in try sim.list(Pod.self) {
            var v = try KubeJSON.value(of: pod)
            v["apiVersion"] = .string(Pod.apiVersion)
            v["kind"] = .string(Pod.kind)
            items.append(v)
        }
        let list: JSONValue = ["apiVersion": "v1", "kind": "List", "items": .array(items)]
        return try KubeJSON.encode(list)
    }

    /// What a campaign knows of a running trial: its logs (with a dump folder) and the latest word
    /// of its run's watchdog.
    public final class TrialWatch: Sendable {
        let log: TrialLog?
        let stuck = Mutex<String?>(nil)
        init(log: TrialLog?) { self.log = log }
    }

    /// Every Event of `sim`, oldest first, one per line (time, object, reason, count, message): the
    /// components' decisions as an operator would read them with `kubectl get events`.
    static func eventLog(_ sim: KubeSim) -> String {
        let events = ((try? sim.list(Event.self)) ?? []).map { e -> (Date, String) in
            let time = e.latestTime
            let object = "\(e.involvedObject.kind ?? "")/\(e.involvedObject.name ?? "")"
            return (time, "\(RFC3339.format(time)) \(object) \(e.reason ?? "") ×\(e.count ?? 1): \(e.message ?? "")")
        }
        return events.sorted { $0.0 < $1.0 }.map(\.1).joined(separator: "\n") + "\n"
    }

    /// Pending pods (`namespace/name`) that the planner could still place on the cluster as it
    /// really is at the end: each node's GPUs as its simulated NVML holds them (an instance is
    /// used when the kubelet allocated it or a process runs on it), whatever the agents last
    /// reported, with the bound pods holding their devices.
    static func unconverged(_ sim: KubeSim, nodes: [SimulatedNode], catalog: MIGCatalog) -> [String] {
        guard let pods = try? sim.list(Pod.self) else { return ["(cluster unreadable)"] }
        let live = pods.filter { !($0.status?.isTerminal ?? false) }
        let bound = live.filter { !($0.spec.nodeName ?? "").isEmpty }
        var pending: [PendingPod] = []
        for pod in live where (pod.spec.nodeName ?? "").isEmpty {
            if let p = try? PendingPod(pod), !p.devices.isEmpty { pending.append(p) }
        }
        guard !pending.isEmpty else { return [] }
        var truth: [Node] = []
        for member in nodes {
            guard var node = try? sim.get(Node.self, name: member.name), node.metadata.labels?[MIGAnnotations.autoMIGEnabled] == "true" else { continue }
            let allocated = Set(member.assignedUUIDs.values.flatMap { $0 })
            let reports = member.nvml.gpus.enumerated().map { index, gpu in
                GPUStatusReport(
                    index: index, model: node.metadata.labels?[MIGAnnotations.gpuProductLabel], migMode: gpu.migEnabled ? .enabled : .disabled,
                    instances: gpu.instances.map { gi in
                        InstanceState(
                            PlacedInstance(gi.profile, at: gi.start),
                            isUsed: gi.computeInstances.contains { allocated.contains($0.migUUID) || $0.processes > 0 })
                    })
            }
            var annotations = (node.metadata.annotations ?? [:]).filter { !$0.key.hasPrefix(MIGAnnotations.prefix) }
            for (key, value) in NodeMIGAnnotations.statusAnnotations(reports) { annotations[key] = value }
            node.metadata.annotations = annotations
            let ready = node.status?.conditions?.filter { $0.type == "Ready" }
            node.status?.conditions = ready
            truth.append(node)
        }
        let plan = PartitionPlanner(catalog: catalog).plan(nodes: truth, pods: bound, pending: pending, planID: "convergence-check")
        let why = SimulationRun.stillPending(sim)
        return plan.pods.filter(\.fits).map { p in
            let key = "\(p.namespace)/\(p.name)"
            return why[key].map { $0.isEmpty ? key : "\(key) (latest Event \($0.prefix(160)))" } ?? key
        }
    }
}
