import Foundation
import KubeCore
import KubeSim
import N8sCore

/// Runs a ``FaultPlan`` during a simulation run: API error rates on KubeSim, watch drops at
/// random instants, and kills of component processes (``supervise(_:every:restartDelay:seed:clock:onKill:make:)``).
struct FaultDriver: Sendable {
    let plan: FaultPlan
    let sim: KubeSim
    let clock: any KubeClock
    let counter: FaultCounter

    /// The callers whose API calls fail.
    var callers: [CallerMatch] { plan.apiErrorComponents.sorted { $0.rawValue < $1.rawValue }.map { .userAgent(prefix: $0.userAgent) } }

    /// Sets the API error rate (before the components start).
    func start() {
        guard plan.apiErrorRate > 0 else { return }
        sim.failRandomly(RandomFaults(rate: plan.apiErrorRate, callers: callers, seed: plan.seed))
    }

    /// Drops the components' watches at random instants (exponential gaps of mean
    /// ``FaultPlan/watchDropEvery``), expiring the history first for a share of them; with
    /// ``FaultPlan/activeFor``, stops every fault then. Ends when cancelled.
    func run() async throws {
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let active = plan.activeFor {
                group.addTask {
                    try await clock.sleep(for: active)
                    sim.failRandomly(nil)
                }
            }
            group.addTask { try await dropWatches(until: plan.activeFor.map { start.addingTimeInterval($0.seconds) }) }
            try await group.waitForAll()
        }
    }

    private func dropWatches(until end: Date?) async throws {
        guard let every = plan.watchDropEvery else { return }
        var random = SplitMix64(seed: plan.seed &+ 0x5741_5443)
        let components = FaultPlan.Component.allCases.map { CallerMatch.userAgent(prefix: $0.userAgent) }
        while !Task.isCancelled {
            try await clock.sleep(for: Self.gap(mean: every, &random))
            if let end, clock.now >= end { return }
            let expire = Self.uniform(&random) < plan.watchExpiryShare
            if expire { sim.compactHistory() }
            for caller in components { sim.dropWatches(of: caller) }
            counter.update { t in
                t.watchDrops += 1
                if expire { t.watchExpiries += 1 }
            }
        }
    }

    /// The totals so far, API errors included.
    var totals: FaultTotals {
        var t = counter.value
        t.apiErrors = sim.injectedFaults.values.reduce(0, +)
        return t
    }

    /// Runs a component's lives one after another until cancelled or until a life ends by
    /// itself. Each life is what `make` builds; with `every` set, it is killed at a random instant
    /// (exponential gap of mean `every`) when `isKillable` says so then (else a new instant is
    /// drawn), and the next life starts `restartDelay` later. No kill at or after `end`.
    ///
    /// - Parameter make: builds a new life from nothing: its body, and whether it may be killed
    ///   now (the partitioner: only while it leads).
    static func supervise(
        every: Duration?, until end: Date? = nil, restartDelay: Duration, seed: UInt64, clock: any KubeClock, onKill: @escaping @Sendable () -> Void,
        make: @escaping @Sendable () throws -> (body: @Sendable () async throws -> Void, isKillable: @Sendable () -> Bool)
    ) async throws {
        var random = SplitMix64(seed: seed)
        while !Task.isCancelled {
            let life = try make()
            guard let every, end.map({ clock.now < $0 }) ?? true else { return try await life.body() }
            let gaps = (0..<64).map { _ in gap(mean: every, &random) }
            let killed = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    try await life.body()
                    return false
                }
                group.addTask {
                    for gap in gaps {
                        try await clock.sleep(for: gap)
                        if let end, clock.now >= end { break }
                        if life.isKillable() { return true }
                    }
                    try await clock.sleep(for: .seconds(365 * 86_400))
                    return false
                }
                defer { group.cancelAll() }
                return try await group.next() ?? false
            }
            guard killed else { return }
            onKill()
            try await clock.sleep(for: restartDelay)
        }
    }

    /// An exponentially distributed gap of mean `mean` (at least 1 ms).
    static func gap(mean: Duration, _ random: inout SplitMix64) -> Duration {
        .seconds(max(0.001, -log(1 - uniform(&random)) * mean.seconds))
    }

    /// Uniform in 0..<1.
    static func uniform(_ random: inout SplitMix64) -> Double { Double(random.next() >> 11) / Double(UInt64(1) << 53) }
}
