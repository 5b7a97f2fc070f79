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

    /// Reboots of the node a supervised component (a MIG agent) runs on.
    struct Reboots: Sendable {
        /// Mean simulated time between reboots.
        var every: Duration
        /// From the reboot to the node being back (the component restarts then).
        var downFor: Duration
        /// At the reboot (after the component is stopped), and when the node is back.
        var reboot: @Sendable () throws -> Void
        var boot: @Sendable () throws -> Void
    }

    /// Runs a component's lives one after another until cancelled or until a life ends by
    /// itself. Each life is what `make` builds; with `every` set, it is killed at a random instant
    /// (exponential gap of mean `every`) when `isKillable` says so then (else a new instant is
    /// drawn), and the next life starts `restartDelay` later. With `reboots`, the node reboots at
    /// random instants too (exponential gaps of mean `reboots.every`, a stream of their own): the
    /// life stops, `reboot` runs, and the next life starts when the node is back. No kill or
    /// reboot at or after `end`.
    ///
    /// - Parameter make: builds a new life from nothing: its body, and whether it may be killed
    ///   now (the partitioner: only while it leads).
    static func supervise(
        every: Duration?, until end: Date? = nil, restartDelay: Duration, seed: UInt64, clock: any KubeClock, onKill: @escaping @Sendable () -> Void,
        reboots: Reboots? = nil, onReboot: @escaping @Sendable () -> Void = {},
        make: @escaping @Sendable () throws -> (body: @Sendable () async throws -> Void, isKillable: @Sendable () -> Bool)
    ) async throws {
        enum Ending { case byItself, kill, reboot }
        var random = SplitMix64(seed: seed)
        var rebootRandom = SplitMix64(seed: seed &+ 0x5245_424F)
        while !Task.isCancelled {
            let life = try make()
            guard every != nil || reboots != nil, end.map({ clock.now < $0 }) ?? true else { return try await life.body() }
            let killGaps = every.map { mean in (0..<64).map { _ in gap(mean: mean, &random) } } ?? []
            let rebootGap = reboots.map { gap(mean: $0.every, &rebootRandom) }
            let ending = try await withThrowingTaskGroup(of: Ending.self) { group in
                group.addTask {
                    try await life.body()
                    return .byItself
                }
                group.addTask {
                    var sinceStart = Duration.zero
                    for gap in killGaps {
                        if let r = rebootGap, sinceStart + gap >= r { break }
                        try await clock.sleep(for: gap)
                        sinceStart += gap
                        if let end, clock.now >= end { break }
                        if life.isKillable() { return .kill }
                    }
                    if let r = rebootGap, r > sinceStart {
                        try await clock.sleep(for: r - sinceStart)
                        if end.map({ clock.now < $0 }) ?? true { return .reboot }
                    }
                    try await clock.sleep(for: .seconds(365 * 86_400))
                    return .byItself
                }
                defer { group.cancelAll() }
                return try await group.next() ?? .byItself
            }
            switch ending {
            case .byItself: return
            case .kill:
                onKill()
                try await clock.sleep(for: restartDelay)
            case .reboot:
                guard let reboots else { return }
                onReboot()
                try reboots.reboot()
                try await clock.sleep(for: reboots.downFor)
                try reboots.boot()
            }
        }
    }

    /// An exponentially distributed gap of mean `mean` (at least 1 ms).
    static func gap(mean: Duration, _ random: inout SplitMix64) -> Duration {
        .seconds(max(0.001, -log(1 - uniform(&random)) * mean.seconds))
    }

    /// Uniform in 0..<1.
    static func uniform(_ random: inout SplitMix64) -> Double { Double(random.next() >> 11) / Double(UInt64(1) << 53) }
}
