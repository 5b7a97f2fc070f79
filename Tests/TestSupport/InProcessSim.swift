import KubeClient
import KubeCore
import KubeSim

extension KubeSim {
    /// A KubeSim with namespace `ns`, for tests that call it through ``KubeSimTransport``.
    ///
    /// It stamps times from a manual clock of its own starting at `clock.now`: its watch timers
    /// then never sleep on the test's clock, whose sleepers the tests count.
    public static func inProcess(clock: any KubeClock, namespaces: [String] = ["ns"]) -> KubeSim {
        let sim = KubeSim(clock: ManualClock(start: clock.now))
        for name in namespaces { _ = try? sim.create(Namespace.self, Namespace(metadata: ObjectMeta(name: name))) }
        sim.resetRequestCounts()
        return sim
    }

    /// A client of this KubeSim in process (no socket, same answers as over HTTP).
    public func inProcessClient(qps: Double? = nil, burst: Int = 10, clock: any KubeClock) -> KubeClient {
        KubeClient(transport: KubeSimTransport(sim: self), qps: qps, burst: burst, clock: clock)
    }

    /// Creates `object`, or replaces the stored one unconditionally (as a seeding write).
    public func seed<R: Resource>(_ object: R) throws {
        var fresh = object
        fresh.metadata.resourceVersion = nil
        let stored = try? get(R.self, namespace: fresh.metadata.namespace, name: fresh.name)
        if stored == nil { _ = try create(R.self, fresh) } else { _ = try update(fresh) }
    }

    /// Every stored object of a kind, in all namespaces.
    public func objects<R: Resource>(_ kind: R.Type) -> [R] { (try? list(kind)) ?? [] }
}
