import TestSupport
import KubeClient
import KubeCore
import KubeSim
import Synchronization
import Testing

@testable import KubeRuntime

/// Records every change a watcher reports, in order.
final class ChangeLog: Sendable {
    private let entries = Mutex<[String]>([])
    func record(_ changes: [StoreChange<ConfigMap>]) {
        entries.withLock { log in
            for change in changes {
                switch change {
                case .applied(let o, _): log.append("applied \(o.name)@\(o.metadata.resourceVersion ?? "")")
                case .deleted(let o): log.append("deleted \(o.name)")
                }
            }
        }
    }
    var all: [String] { entries.withLock { $0 } }
}

@Suite("Watcher")
struct WatcherTests {
    let clock = ManualClock()
    let server: KubeSim
    let client: KubeClient

    init() {
        server = KubeSim.inProcess(clock: clock)
        client = server.inProcessClient(clock: clock)
    }

    func cm(_ name: String, _ value: String = "0") -> ConfigMap {
        var cm = ConfigMap(metadata: ObjectMeta(name: name, namespace: "ns"))
        cm.data = ["v": value]
        return cm
    }

    func storeMatchesServer(_ store: Store<ConfigMap>) -> Bool {
        let mine = Set(store.list().map { "\($0.name)@\($0.metadata.resourceVersion ?? "")" })
        let theirs = Set(server.objects(ConfigMap.self).map { "\($0.name)@\($0.metadata.resourceVersion ?? "")" })
        return mine == theirs
    }

    @Test("resumes from the last version after a dropped connection, without gaps or duplicates")
    func resume() async throws {
        for i in 0..<3 { try server.seed(cm("c\(i)")) }
        let store = Store<ConfigMap>()
        let log = ChangeLog()
        let watcher = Watcher(api: client.resource(ConfigMap.self, in: "ns"), store: store, clock: clock) { log.record($0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await watcher.run() }
            #expect(await eventually { store.hasSynced && server.openWatchCount == 1 })
            try server.seed(cm("c0", "1"))
            #expect(await eventually { store.get(ObjectKey(namespace: "ns", name: "c0"))?.data?["v"] == "1" })
            server.dropWatches()
            try server.seed(cm("c1", "1"))  // written while no watch is open
            try server.seed(cm("c3"))
            #expect(await eventually { server.openWatchCount == 1 && storeMatchesServer(store) })
            try server.seed(cm("c2", "1"))
            #expect(await eventually { storeMatchesServer(store) })
            group.cancelAll()
        }
        let entries = log.all
        #expect(entries.count == Set(entries).count, "no change reported twice: \(entries)")
        #expect(entries.filter { $0.hasPrefix("applied c1") }.count == 2)
        #expect(server.requestCount(verb: "list", resource: "configmaps", caller: .userAgent(prefix: "n8s-kubeclient")) == 1, "no relist needed")
    }

    @Test("relists after 410 and ends equal to the server, reporting deletions missed meanwhile")
    func relistOnGone() async throws {
        for i in 0..<5 { try server.seed(cm("c\(i)")) }
        let store = Store<ConfigMap>()
        let log = ChangeLog()
        let watcher = Watcher(api: client.resource(ConfigMap.self, in: "ns"), store: store, clock: clock) { log.record($0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await watcher.run() }
            #expect(await eventually { store.hasSynced && server.openWatchCount == 1 })
            server.dropWatches()
            try await client.resource(ConfigMap.self, in: "ns").delete("c1")
            try server.seed(cm("c2", "changed"))
            try server.seed(cm("c9"))
            server.compactHistory()
            // The dropped watch had delivered nothing, so the watcher backs off (on the clock) before resuming.
            let relisted = try await driving(clock) { await eventually { server.openWatchCount == 1 && storeMatchesServer(store) } }
            #expect(relisted)
            group.cancelAll()
        }
        #expect(log.all.contains("deleted c1"))
        #expect(store.get(ObjectKey(namespace: "ns", name: "c2"))?.data?["v"] == "changed")
        #expect(server.requestCount(verb: "list", resource: "configmaps", caller: .userAgent(prefix: "n8s-kubeclient")) == 2, "listed twice")
    }

    @Test("backs off on other errors and recovers")
    func backoff() async throws {
        server.failNext(2, verb: "list", resource: "configmaps", with: .internalError("down"))
        let store = Store<ConfigMap>()
        var api = client
        api.retry = .none
        let watcher = Watcher(api: api.resource(ConfigMap.self, in: "ns"), store: store, clock: clock)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await watcher.run() }
            #expect(await eventually { clock.sleeperCount == 1 })
            #expect(!store.hasSynced)
            clock.advance(by: .milliseconds(800))
            #expect(await eventually { clock.sleeperCount == 1 })
            clock.advance(by: .milliseconds(1600))
            #expect(await eventually { store.hasSynced })
            group.cancelAll()
        }
    }
}
