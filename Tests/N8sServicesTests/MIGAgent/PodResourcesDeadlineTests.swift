import Foundation
import KubeCore
import Synchronization
import Testing

@testable import N8sServices

/// An agent never waits forever on the kubelet: a PodResources exchange that does not end (and
/// ignores cancellation) is left behind after its hard limit, and the caller gets an error, which
/// the agent treats as "kubelet unreadable" (it changes nothing).
@Suite("PodResources hard limit")
struct PodResourcesDeadlineTests {
    @Test("a stuck exchange throws Stuck after timeout + 5 s of the client's clock; a prompt one returns its value")
    func stuckExchangeIsLeftBehind() async throws {
        let clock = ManualClock()
        let client = PodResourcesClient(socketPath: "/nonexistent.sock", timeout: .seconds(10), clock: clock)
        let release = Mutex(false)
        defer { release.withLock { $0 = true } }
        async let outcome: Result<Int, any Error> = {
            do {
                return .success(try await client.bounded {
                    // Ignores cancellation, as an exchange stuck below gRPC would.
                    while !release.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(5)) }
                    return 1
                })
            } catch { return .failure(error) }
        }()
        #expect(await eventually { clock.sleeperCount > 0 })
        clock.advance(by: .seconds(14))
        try? await Task.sleep(for: .milliseconds(20))
        #expect(clock.sleeperCount == 1, "still waiting before the limit")
        clock.advance(by: .seconds(2))
        switch await outcome {
        case .success: Issue.record("a stuck exchange must not return a value")
        case .failure(let error): #expect(error is PodResourcesClient.Stuck, "\(error)")
        }
        #expect(try await client.bounded { 7 } == 7)
    }
}
