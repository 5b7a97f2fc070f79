import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import KubeSim
import N8sCore
import ServiceLifecycle
import Testing

@testable import N8sServices

/// What the node advertises counts (design.md section 5): when the agent's report and the node's
/// allocatable disagree, the node says so in its `N8sMigPlanner` condition and an Event.
@Suite("GPU partitioner and a node that advertises fewer MIG devices than its agent reports")
struct PartitionerAdvertisedTests {
    @Test("agent reports 7 free 1g.5gb, the node advertises 1: N8sMigPlanner=True/MigDevicesNotAdvertised naming both, a Warning Event; cleared once they agree")
    func disagreementCondition() async throws {
        let clock = ManualClock()
        try await withSim(clock: clock) { sim, client in
            let free = (0..<7).map { PFixtures.free("1g.5gb", $0) }
            var node = PartitionerHTTPTests.managed("n1", gpus: [free])
            node.status?.allocatable?["nvidia.com/mig-1g.5gb"] = Quantity(1)
            _ = try sim.create(Node.self, node)
            let replica = Replica(client: client, clock: clock)
            let group = replica.group()
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                do {
                    let ok = await advance(clock, until: {
                        sim.node("n1")?.status?.condition("N8sMigPlanner")?.reason == PlannerCondition.notAdvertised
                    })
                    #expect(ok, "the condition names the disagreement")
                }
                let condition = try #require(sim.node("n1")?.status?.condition("N8sMigPlanner"))
                #expect(condition.status == "True", "the node is still planned")
                #expect(condition.message?.contains("reports 7 free 1g.5gb but the node advertises 1") == true, "\(condition.message ?? "")")
                do {
                    let ok = await advance(clock, until: {
                        sim.events(for: "n1").contains { $0.reason == PlannerCondition.notAdvertised && $0.type == "Warning" }
                    })
                    #expect(ok, "a Warning Event on the node")
                }
                // The device plugin catches up: the condition returns to Plannable.
                var object = try #require(sim.node("n1"))
                object.status?.allocatable?["nvidia.com/mig-1g.5gb"] = Quantity(7)
                _ = try sim.update(object, subresource: "status")
                do {
                    let ok = await advance(clock, until: { sim.node("n1")?.status?.condition("N8sMigPlanner")?.reason == "Plannable" })
                    #expect(ok, "cleared once report and allocatable agree")
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
