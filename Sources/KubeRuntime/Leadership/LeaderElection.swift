import Foundation
import KubeClient
import KubeCore
import Logging
import Metrics
import ServiceLifecycle

/// Leader election on a `coordination.k8s.io/v1` Lease with client-go's semantics.
///
/// * A candidate tries every `retryPeriod`. It takes the lease when it is absent, released (no
///   holder), or not renewed for `leaseDuration` as measured on **this** process's clock from
///   when it last saw the record change (so clock skew between processes does not matter).
/// * The leader renews every `retryPeriod`. If no renewal succeeded for `renewDeadline`
///   (< `leaseDuration`), it stops leading at once, before any other candidate may take over.
/// * On graceful shutdown a leader releases the lease (empty holder), so a successor takes over
///   on its next try instead of waiting out the lease.
///
/// Leadership is published through ``leadership``, and as the gauge
/// `n8s_leader_election_master_status{name}` (1 leading, 0 not).
/// RBAC: `get`, `create`, `update` on `leases` in `coordination.k8s.io`, in the lease's namespace.
public struct LeaderElection: Service {
    public let leases: ResourceClient<Lease>
    public let leaseName: String
    /// Unique per process (e.g. pod name + random suffix).
    public let identity: String
    public var leaseDuration: Duration = .seconds(15)
    public var renewDeadline: Duration = .seconds(10)
    public var retryPeriod: Duration = .seconds(2)
    public let leadership: Leadership
    public let clock: any KubeClock
    public var logger: Logger
    private let gauge: Gauge

    /// - Parameter leases: a lease client scoped to the lease's namespace.
    public init(
        leases: ResourceClient<Lease>,
        leaseName: String,
        identity: String,
        leadership: Leadership = Leadership(),
        clock: (any KubeClock)? = nil,
        logger: Logger = Logger(label: "n8s.leader-election"),
        metrics: any MetricsFactory = MetricsSystem.factory
    ) {
        precondition(leases.namespace != nil, "a lease client needs a namespace")
        self.leases = leases
        self.leaseName = leaseName
        self.identity = identity
        self.leadership = leadership
        self.clock = clock ?? leases.client.clock
        self.logger = logger
        self.gauge = Gauge(label: "n8s_leader_election_master_status", dimensions: [("name", leaseName)], factory: metrics)
    }

    public func run() async throws {
        precondition(renewDeadline < leaseDuration && retryPeriod < renewDeadline, "need retryPeriod < renewDeadline < leaseDuration")
        let observer = LeaseObserver()
        gauge.record(0)
        defer {
            leadership.set(leading: false)
            gauge.record(0)
        }
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            // Candidate.
            do {
                try await cancelWhenGracefulShutdown {
                    while try await !attempt(observer) { try await clock.sleep(for: retryPeriod) }
                }
            } catch {
                // A leader that stepped down at its renew deadline may still be named in the lease.
                await release()
                return
            }
            guard !Task.isShuttingDownGracefully else { return await release() }
            logger.info("became leader", metadata: ["lease": "\(leaseName)", "identity": "\(identity)"])
            leadership.set(leading: true)
            gauge.record(1)
            // Leader.
            do {
                try await cancelWhenGracefulShutdown {
                    var lastRenew = clock.now
                    while true {
                        try await clock.sleep(for: retryPeriod)
                        let started = clock.now
                        let left = renewDeadline - clock.elapsed(since: lastRenew)
                        if left > .zero, try await attempt(observer, within: left) {
                            lastRenew = started
                        } else if clock.elapsed(since: lastRenew) >= renewDeadline {
                            return
                        }
                    }
                }
            } catch {
                // Graceful shutdown or cancellation: step down, then release.
                leadership.set(leading: false)
                gauge.record(0)
                await release()
                return
            }
            logger.warning("lost leadership: could not renew within the deadline", metadata: ["lease": "\(leaseName)", "renew.deadline": "\(renewDeadline)"])
            leadership.set(leading: false)
            gauge.record(0)
        }
    }

    /// One acquire-or-renew try, abandoned after `limit`. - Returns: whether this process now holds the lease.
    private func attempt(_ observer: LeaseObserver, within limit: Duration? = nil) async throws -> Bool {
        guard let limit else { return await tryAcquireOrRenew(observer) }
        return try await withThrowingTaskGroup(of: Bool?.self) { group in
            group.addTask { await tryAcquireOrRenew(observer) }
            group.addTask {
                try await clock.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
                return false
            }
            return false
        }
    }

    private func tryAcquireOrRenew(_ observer: LeaseObserver) async -> Bool {
        let now = clock.now
        let seconds = Int32(leaseDuration.seconds.rounded(.up))
        do {
            guard let lease = try await leases.getIfPresent(leaseName) else {
                let spec = Lease.Spec(holderIdentity: identity, leaseDurationSeconds: seconds, acquireTime: MicroTime(now), renewTime: MicroTime(now), leaseTransitions: 0)
                let created = try await leases.create(Lease(metadata: ObjectMeta(name: leaseName, namespace: leases.namespace), spec: spec))
                observer.observe(created.spec, at: now)
                return true
            }
            let spec = lease.spec ?? Lease.Spec()
            let seenAt = observer.observe(spec, at: clock.now)
            let holder = spec.holderIdentity ?? ""
            if !holder.isEmpty, holder != identity {
                let duration = Duration.seconds(Int(spec.leaseDurationSeconds ?? seconds))
                if seenAt.addingTimeInterval(duration.seconds) > now { return false }
            }
            var next = lease
            var nextSpec = spec
            nextSpec.holderIdentity = identity
            nextSpec.leaseDurationSeconds = seconds
            nextSpec.renewTime = MicroTime(now)
            if holder != identity {
                nextSpec.acquireTime = MicroTime(now)
                nextSpec.leaseTransitions = (spec.leaseTransitions ?? 0) + 1
            }
            next.spec = nextSpec
            let updated = try await leases.update(next)
            observer.observe(updated.spec, at: now)
            return true
        } catch {
            logger.debug("lease attempt failed", metadata: ["lease": "\(leaseName)", "error": "\(error)"])
            return false
        }
    }

    /// Gives the lease up if this process holds it: empty holder, so others need not wait it out.
    private func release() async {
        do {
            // A renew abandoned at shutdown may still land first: re-read and retry on a conflict.
            let released = try await retryOnConflict { () async throws -> Bool in
                guard var lease = try await leases.getIfPresent(leaseName), lease.spec?.holderIdentity == identity else { return false }
                let now = MicroTime(clock.now)
                lease.spec = Lease.Spec(holderIdentity: nil, leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: lease.spec?.leaseTransitions)
                _ = try await leases.update(lease)
                return true
            }
            if released { logger.info("released lease", metadata: ["lease": "\(leaseName)", "identity": "\(identity)"]) }
        } catch {
            logger.warning("could not release lease", metadata: ["lease": "\(leaseName)", "error": "\(error)"])
        }
    }
}

/// The last lease record seen, and when (local clock) it was first seen.
final class LeaseObserver: Sendable {
    private let state = Mutex<(spec: Lease.Spec?, at: Date)>((nil, .distantPast))

    /// Records `spec` if it differs from the last one. - Returns: when the current record was first seen.
    @discardableResult
    func observe(_ spec: Lease.Spec?, at now: Date) -> Date {
        state.withLock { s in
            if s.spec != spec || s.at == .distantPast { s = (spec, now) }
            return s.at
        }
    }
}

import Synchronization
