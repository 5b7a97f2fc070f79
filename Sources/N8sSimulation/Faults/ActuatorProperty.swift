import N8sCore
import N8sServices
import Synchronization

/// The MIG agent's actuation as a property, on one simulated A100-40GB: random (current layout
/// with used instances, reserved devices, target spec) cases, the agent killed at a random NVML
/// step and restarted until a run completes, sometimes with an injected create failure. Checks:
/// no used or reserved instance destroyed, no orphan GPU instance, the GPU never left empty, the
/// target reached when reachable and the GPU untouched when not. In process (pure core +
/// simulated GPU): thousands of trials a second.
public enum ActuatorProperty {
    /// Totals of ``run(trials:seed:)``.
    public struct Report: Sendable, Hashable {
        public var trials = 0
        public var kills = 0
        public var injectedCreateFailures = 0
        public var reached = 0
        public var untouched = 0
        /// Broken properties, one line each (must be empty).
        public var failures: [String] = []
    }

    struct Killed: Error {}

    /// Counts NVML mutations; throws ``Killed`` at the chosen one.
    final class KillSwitch: Sendable {
        let state: Mutex<(count: Int, killAt: Int?)>
        init(killAt: Int?) { state = Mutex((0, killAt)) }
        func tick() throws {
            let fire = state.withLock { s -> Bool in
                defer { s.count += 1 }
                return s.killAt == s.count
            }
            if fire { throw Killed() }
        }
    }

    /// One agent run: read, mark used, plan, apply. `false` when killed.
    static func run(_ nvml: SimulatedNVML, usage: UsageSnapshot, target: [PlacedInstance], killAt: Int?) throws -> Bool {
        let kill = KillSwitch(killAt: killAt)
        do {
            try nvml.withSession { session in
                let gpu = usage.mark([try ObservedGPU.read(0, from: session)], specs: [0: target])[0]
                let plan = ActuationPlanner.plan(gpu, spec: target)
                _ = try GPUActuator(beforeMutation: { try kill.tick() }).apply(plan, on: gpu, session: session)
            }
            return true
        } catch is Killed {
            return false
        }
    }

    /// Runs `trials` cases from `seed`.
    /// - Throws: catalog and NVML errors outside the property (setup).
    public static func run(trials: Int, seed: UInt64 = 0x5EED_0005) throws -> Report {
        guard let model = try MIGCatalog.bundled().model(id: "a100-40gb") else { return Report() }
        let space = try LayoutSpace(model)
        let layouts = space.allLayouts(includingVariants: true)
        var rng = SplitMix64(seed: seed)
        var report = Report()
        for trial in 0..<trials {
            let nvml = SimulatedNVML(model: model, count: 1)
            let current = layouts.randomElement(using: &rng)!
            var uuids: [PlacedInstance: String] = [:]
            for p in current { uuids[p] = try nvml.seed(gpu: 0, p) }
            let ids = Dictionary(uniqueKeysWithValues: nvml.gpus[0].instances.map { (PlacedInstance($0.profile, at: $0.start), $0.id) })
            // Used: some by processes (NVML), some by allocation (PodResources).
            var used: [PlacedInstance] = []
            var allocated = Set<String>()
            for p in current where Int.random(in: 0..<4, using: &rng) == 0 {
                used.append(p)
                if Bool.random(using: &rng) { nvml.setProcesses(1, onDevice: uuids[p]!) } else { allocated.insert(uuids[p]!) }
            }
            // Reserved: bound pods waiting for a device of a profile that has free instances.
            var reserved: [String: Int] = [:]
            let free = current.filter { !used.contains($0) }
            if let r = free.randomElement(using: &rng), Bool.random(using: &rng) { reserved[r.profile] = 1 }
            let usage = UsageSnapshot(allocatedDeviceIDs: allocated, reserved: reserved)
            // Target: half the time one that keeps the used instances.
            let keeping = layouts.filter { l in used.allSatisfy(l.contains) }
            let target = (Bool.random(using: &rng) ? keeping.randomElement(using: &rng) : nil) ?? layouts.randomElement(using: &rng)!
            if Int.random(in: 0..<5, using: &rng) == 0 {
                nvml.injectCreateFailures([.insufficientResources])
                report.injectedCreateFailures += 1
            }
            // Kill at a random step, restart, until one run completes.
            var completed = false
            for _ in 0..<6 where !completed {
                let killAt: Int? = Bool.random(using: &rng) ? Int.random(in: 0..<16, using: &rng) : nil
                completed = try run(nvml, usage: usage, target: target, killAt: killAt)
                if !completed { report.kills += 1 }
            }
            if !completed { completed = try run(nvml, usage: usage, target: target, killAt: nil) }
            if !completed { report.failures.append("trial \(trial): no run completed") }
            // A last run without faults settles a rollback (the retry of the same spec).
            _ = try run(nvml, usage: usage, target: target, killAt: nil)

            let gpu = nvml.gpus[0]
            let after = Dictionary(uniqueKeysWithValues: gpu.instances.map { ($0.id, $0) })
            for u in used where after[ids[u]!] == nil {
                report.failures.append("trial \(trial): used \(u) destroyed (current \(current), target \(target))")
            }
            for (profile, r) in reserved where free.filter({ $0.profile == profile && after[ids[$0]!] != nil }).count < r {
                report.failures.append("trial \(trial): reserved \(profile) destroyed")
            }
            if !gpu.instances.allSatisfy({ !$0.computeInstances.isEmpty }) { report.failures.append("trial \(trial): orphan GPU instance left") }
            if gpu.instances.isEmpty { report.failures.append("trial \(trial): MIG-enabled GPU left empty") }
            // Oracle: reachable when every used instance is in the target and the target keeps at
            // least the reserved number of free instances of each reserved profile.
            let reachable = used.allSatisfy(target.contains)
                && reserved.allSatisfy { profile, r in free.filter { $0.profile == profile && target.contains($0) }.count >= r }
            if reachable {
                if gpu.layout == target.sorted() { report.reached += 1 } else {
                    report.failures.append("trial \(trial): \(current) → \(target) ended at \(gpu.layout)")
                }
            } else {
                if gpu.layout == current.sorted() { report.untouched += 1 } else {
                    report.failures.append("trial \(trial): unreachable \(target) must leave \(current), got \(gpu.layout)")
                }
            }
            report.trials += 1
        }
        return report
    }
}
