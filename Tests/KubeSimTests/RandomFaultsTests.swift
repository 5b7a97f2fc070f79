import KubeCore
import Testing

@testable import KubeSim

@Suite("KubeSim random faults")
struct RandomFaultsTests {
    static func draws(seed: UInt64, caller: Caller?, count: Int = 10_000) -> [Int?] {
        var state = RandomFaultState()
        state.faults = RandomFaults(rate: 0.1, callers: [.userAgent(prefix: "n8s-sim-mig-agent")], seed: seed)
        state.stream = seed
        return (0..<count).map { _ in state.draw(verb: "get", caller: caller)?.code ?? nil }
    }

    @Test("about the rate of a matching caller's calls fail, with the four codes; others never")
    func rate() {
        let agent = Caller(userAgent: "n8s-sim-mig-agent/node-0")
        let failed = Self.draws(seed: 7, caller: agent).compactMap { $0 }
        #expect((800...1200).contains(failed.count), "\(failed.count)")
        #expect(Set(failed) == [409, 429, 500, 503])
        #expect(Self.draws(seed: 7, caller: Caller(userAgent: "n8s-sim-recorder")).allSatisfy { $0 == nil })
        #expect(Self.draws(seed: 7, caller: nil).allSatisfy { $0 == nil }, "in-process calls never fail")
    }

    @Test("the same seed fails the same calls; another seed others")
    func seeded() {
        let agent = Caller(userAgent: "n8s-sim-mig-agent/node-0")
        #expect(Self.draws(seed: 3, caller: agent) == Self.draws(seed: 3, caller: agent))
        #expect(Self.draws(seed: 3, caller: agent) != Self.draws(seed: 4, caller: agent))
    }

    @Test("a 429 carries Retry-After")
    func retryAfter() {
        #expect(RandomFaults.standardStatuses.first { $0.code == 429 }?.details?.retryAfterSeconds == 1)
    }
}
