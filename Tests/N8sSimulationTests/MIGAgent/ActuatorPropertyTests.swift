import N8sCore
import N8sServices
import N8sSimulation
import Synchronization
import Testing

/// Thousands of random (current layout with used instances, reserved devices, target spec) cases
/// on a simulated A100-40GB, with the agent killed at a random NVML step and restarted until a
/// run completes. In process (pure core + simulated GPU), so it runs in about a second.
@Suite("Actuator property: kill at a random step and restart")
struct ActuatorPropertyTests {
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

    struct RNG: RandomNumberGenerator {
        var x: UInt64
        mutating func next() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
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

    @Test("zero used or reserved instances destroyed, zero orphans, final state = target when reachable")
    func randomTrials() throws {
        let model = try MIGCatalog.bundled().model(id: "a100-40gb")!
        let space = try LayoutSpace(model)
        let layouts = space.allLayouts(includingVariants: true)
        var rng = RNG(x: 0x5EED_0005)
        let trials = 3000
        var kills = 0, reached = 0, untouched = 0, rollbacks = 0
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
                rollbacks += 1
            }
            // Kill at a random step, restart, until one run completes.
            var completed = false
            for _ in 0..<6 where !completed {
                let killAt: Int? = Bool.random(using: &rng) ? Int.random(in: 0..<16, using: &rng) : nil
                completed = try Self.run(nvml, usage: usage, target: target, killAt: killAt)
                if !completed { kills += 1 }
            }
            if !completed { completed = try Self.run(nvml, usage: usage, target: target, killAt: nil) }
            #expect(completed)
            // A last run without faults settles a rollback (the retry of the same spec).
            _ = try Self.run(nvml, usage: usage, target: target, killAt: nil)

            let gpu = nvml.gpus[0]
            let after = Dictionary(uniqueKeysWithValues: gpu.instances.map { ($0.id, $0) })
            for u in used {
                #expect(after[ids[u]!] != nil, "trial \(trial): used \(u) destroyed (current \(current), target \(target))")
            }
            for (profile, r) in reserved {
                let survivors = free.filter { $0.profile == profile && after[ids[$0]!] != nil }.count
                #expect(survivors >= r, "trial \(trial): reserved \(profile) destroyed")
            }
            #expect(gpu.instances.allSatisfy { !$0.computeInstances.isEmpty }, "trial \(trial): orphan GPU instance left")
            #expect(!gpu.instances.isEmpty, "trial \(trial): MIG-enabled GPU left empty")
            // Oracle: reachable when every used instance is in the target and the target keeps at
            // least the reserved number of free instances of each reserved profile.
            let reachable = used.allSatisfy(target.contains)
                && reserved.allSatisfy { profile, r in free.filter { $0.profile == profile && target.contains($0) }.count >= r }
            if reachable {
                #expect(gpu.layout == target.sorted(), "trial \(trial): \(current) → \(target) ended at \(gpu.layout)")
                reached += 1
            } else {
                #expect(gpu.layout == current.sorted(), "trial \(trial): unreachable \(target) must leave \(current), got \(gpu.layout)")
                untouched += 1
            }
        }
        print("ActuatorProperty: \(trials) trials (\(layouts.count) layouts), \(kills) kills, \(rollbacks) injected create failures, \(reached) reached the target, \(untouched) unreachable and left untouched")
        #expect(reached > trials / 5 && untouched > trials / 10)
    }
}
