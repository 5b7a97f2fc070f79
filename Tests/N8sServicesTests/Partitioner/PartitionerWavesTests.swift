import Foundation
import KubeClient
import KubeCore
import KubeSim
import N8sCore
import Testing

@testable import N8sServices

/// Seeded waves of pods arriving, binding and finishing, with the scripted agent applying every
/// plan: the invariants of the first rule and of reservations hold at every step.
@Suite("GPU partitioner under waves of pods")
struct PartitionerWavesTests {
    /// A small deterministic generator (SplitMix64).
    struct Seeded {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
    }

    static let profiles = ["1g.5gb", "1g.5gb", "2g.10gb", "3g.20gb", "4g.20gb", "7g.40gb"]

    @Test("used devices are never destroyed, every pod planned for gets its device, no pod is planned twice", arguments: [UInt64(1), 7])
    func waves(seed: UInt64) async throws {
        let clock = ManualClock()
        try await withSim(clock: clock) { sim, client in
            for n in 0..<3 {
                _ = try sim.create(Node.self, PartitionerHTTPTests.managed("n\(n)", gpus: [[PFixtures.free("7g.40gb", 0)], [PFixtures.free("7g.40gb", 0)]]))
            }
            let replica = Replica(client: client, clock: clock)
            let agent = ScriptedAgent(sim: sim)
            let group = replica.group()
            var rng = Seeded(state: seed)
            var submitted = 0
            var running: [String] = []
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                for wave in 0..<5 {
                    for _ in 0..<(2 + rng.next(4)) {
                        try sim.submit(PFixtures.pendingPod("w\(submitted)", [Self.profiles[rng.next(Self.profiles.count)]: 1]))
                        submitted += 1
                    }
                    await pass(clock, .seconds(12), step: .seconds(2))
                    let quiet = await advance(clock, step: .seconds(5), limit: .seconds(120)) { replica.partitioner.window.isOpen == false }
                    #expect(quiet, "wave \(wave): the batch was planned")
                    await settle(.milliseconds(50))
                    // The agents apply (ScriptedAgent checks that no used device is in a plan's way).
                    for n in 0..<3 { try agent.echo("n\(n)") }
                    // The scheduler binds each planned pod to its node; it must find a free device there.
                    for i in 0..<submitted {
                        let name = "w\(i)"
                        guard let pod = try? sim.get(Pod.self, namespace: "default", name: name), pod.spec.nodeName == nil else { continue }
                        let planned = sim.events(for: name).filter { $0.reason == "MigPlanned" }
                        #expect(planned.map { $0.count ?? 1 }.reduce(0, +) <= 1, "\(name) planned twice: \(planned.compactMap(\.message))")
                        guard let message = planned.first?.message, let node = (0..<3).map({ "n\($0)" }).first(where: { message.contains("node \($0) ") }) else { continue }
                        let profile = try #require(PodRequests(pod.spec).migDevices().keys.first)
                        let status = NodeMIGAnnotations(parsing: sim.node(node)?.metadata.annotations ?? [:]).status
                        let free = status.values.flatMap { $0.instances ?? [] }.filter { !$0.isUsed && MIGProfile.resourceForm(of: $0.placed.profile) == profile }
                        #expect(!free.isEmpty, "\(name) was planned onto \(node) but finds no free \(profile) there")
                        guard !free.isEmpty else { continue }
                        try sim.bindPod(name, to: node)
                        try agent.refresh(node)
                        running.append(name)
                    }
                    // Some pods finish, freeing their devices.
                    for _ in 0..<rng.next(3) where !running.isEmpty {
                        let name = running.remove(at: rng.next(running.count))
                        let node = try sim.get(Pod.self, namespace: "default", name: name).spec.nodeName ?? ""
                        _ = try sim.delete(Pod.self, namespace: "default", name: name, options: DeleteOptions(gracePeriodSeconds: 0))
                        try agent.refresh(node)
                    }
                }
                #expect(running.count > 3, "the waves made room for pods")
                // Every pod still pending was told why: it fits nowhere now.
                for pod in try sim.list(Pod.self) where pod.spec.nodeName == nil {
                    #expect(sim.events(for: pod.name).contains { $0.reason == "MigUnplaceable" }, "\(pod.name) pending without a word")
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
