import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import KubeSim
import Testing

/// The partitioner records several Events on one pod; under an injected clock they can share an instant.
@Suite("Event names under a standing clock")
struct EventRecorderNamesTests {
    @Test("two different Events on one object at the same instant are both recorded")
    func sameInstant() async throws {
        let clock = ManualClock()
        try await withSim(clock: clock) { sim, client in
            try sim.submit(PFixtures.pendingPod("p", ["1g.5gb": 1]))
            let pod = try sim.get(Pod.self, namespace: "default", name: "p")
            let recorder = EventRecorder(client: client, component: "test", clock: clock, logger: quietLogger)
            await recorder.record(pod, reason: "MigPlanned", message: "planned")
            await recorder.record(pod, type: .warning, reason: "MigPlanningGivenUp", message: "left alone")
            #expect(Set(sim.events(for: "p").compactMap(\.reason)) == ["MigPlanned", "MigPlanningGivenUp"])
        }
    }
}
