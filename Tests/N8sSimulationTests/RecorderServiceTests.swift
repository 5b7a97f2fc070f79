import Foundation
import KubeClient
import KubeCore
import KubeSim
import Testing

@testable import N8sSimulation

@Suite("RecorderService")
struct RecorderServiceTests {
    @Test("fed by watches while the scheduler binds: arrivals, bindings and allocated GPU memory")
    func watchesFeedTheRecorder() async throws {
        let clock = ManualClock()
        let sim = KubeSim(clock: clock)
        _ = try sim.create(Node.self, gpuNode("n", mig: ["3g.40gb": 1]))
        let recorder = SimulationRecorder(start: clock.now, gpuMemoryCapacityGB: 80)
        try await withScheduler(sim) { client in
            let service = RecorderService(recorder: recorder, client: client, interval: .seconds(10))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await service.run() }
                clock.advance(by: .seconds(5))
                _ = try sim.create(Pod.self, migPod("fits", profile: "3g.40gb"))
                _ = try sim.create(Pod.self, migPod("waits", profile: "3g.40gb"))
                #expect(await eventually { sim.pod("fits")?.spec.nodeName == "n" })
                #expect(await eventually {
                    recorder.result(name: "", partitioning: "", end: clock.now).summary.podsScheduled == 1
                })
                clock.advance(by: .seconds(20))
                #expect(await eventually { recorder.samples.count >= 2 })
                group.cancelAll()
            }
        }
        let summary = recorder.result(name: "e2e", partitioning: "dynamic", end: clock.now).summary
        #expect(summary.podsArrived == 2)
        #expect(summary.podsScheduled == 1)
        #expect(summary.podsPending == 1)
        #expect(recorder.samples.last?.allocationRatio == 0.5)
    }
}
