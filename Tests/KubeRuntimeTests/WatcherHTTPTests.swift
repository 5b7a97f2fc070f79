import TestSupport
import KubeClient
import KubeCore
import KubeSim
import Testing

@testable import KubeRuntime

/// The watcher over real HTTP (AsyncHTTPClient to KubeSim on a loopback port).
@Suite("Watcher over HTTP against KubeSim")
struct WatcherHTTPTests {
    static func matchesServer(_ store: Store<ConfigMap>, _ sim: KubeSim) -> Bool {
        let mine = Set(store.list().map { "\($0.name)@\($0.metadata.resourceVersion ?? "")" })
        let theirs = Set(((try? sim.list(ConfigMap.self, namespace: "ns")) ?? []).map { "\($0.name)@\($0.metadata.resourceVersion ?? "")" })
        return mine == theirs
    }

    @Test("resumes after dropped watches without relisting; relists after 410 and ends equal to the server")
    func resumeAndRelist() async throws {
        let sim = try seededSim(configMaps: 5)
        try await withKubeSim(sim) { client in
            let store = Store<ConfigMap>()
            let log = ChangeLog()
            var configured = Watcher(api: client("w").resource(ConfigMap.self, in: "ns"), store: store) { log.record($0) }
            configured.backoff = Backoff(initial: .milliseconds(5), maximum: .milliseconds(20))
            let watcher = configured
            let me = CallerMatch.bearerToken("w")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await watcher.run() }
                #expect(await eventually { store.hasSynced && sim.openWatchCount == 1 })

                // A dropped connection: the watch resumes from the last version, no relist.
                sim.dropWatches()
                _ = try sim.create(ConfigMap.self, ConfigMap(metadata: ObjectMeta(name: "during-drop", namespace: "ns")))
                #expect(await eventually { sim.openWatchCount == 1 && Self.matchesServer(store, sim) })
                #expect(sim.requestCount(verb: "list", resource: "configmaps", caller: me) == 1)
                #expect(sim.requestCount(verb: "watch", resource: "configmaps", caller: me) >= 2)

                // Cut off while objects change, and history is compacted: 410, then one relist.
                sim.cutOff(me)
                _ = try sim.delete(ConfigMap.self, namespace: "ns", name: "c1")
                var c2 = try sim.get(ConfigMap.self, namespace: "ns", name: "c2")
                c2.data = ["v": "changed"]
                _ = try sim.update(c2)
                _ = try sim.create(ConfigMap.self, ConfigMap(metadata: ObjectMeta(name: "c9", namespace: "ns")))
                sim.compactHistory()
                sim.reconnect(me)
                #expect(await eventually { sim.openWatchCount == 1 && Self.matchesServer(store, sim) })
                #expect(sim.requestCount(verb: "list", resource: "configmaps", caller: me) == 2)
                group.cancelAll()
            }
            #expect(log.all.contains("deleted c1"))
            #expect(store.get(ObjectKey(namespace: "ns", name: "c2"))?.data?["v"] == "changed")
            let entries = log.all
            #expect(entries.count == Set(entries).count, "no change reported twice: \(entries)")
        }
    }
}
