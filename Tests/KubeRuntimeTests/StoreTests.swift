import TestSupport
import KubeClient
import KubeCore
import Testing

@testable import KubeRuntime

@Suite("Store")
struct StoreTests {
    static func pod(_ name: String, node: String?, rv: String = "1", namespace: String = "ns") -> Pod {
        var meta = ObjectMeta(name: name, namespace: namespace)
        meta.resourceVersion = rv
        return Pod(metadata: meta, spec: PodSpec(nodeName: node))
    }

    @Test("indexes pods by node and namespace and keeps them current")
    func indexes() {
        let store = Store<Pod>(indexes: [.byNamespace, .byNodeName])
        store.replaceAll(with: [Self.pod("a", node: "n1"), Self.pod("b", node: "n1"), Self.pod("c", node: nil, namespace: "other")])
        #expect(Set(store.list(index: "spec.nodeName", value: "n1").map(\.name)) == ["a", "b"])
        #expect(store.list(index: "namespace", value: "other").map(\.name) == ["c"])
        store.apply(.modified(Self.pod("b", node: "n2", rv: "2")))
        #expect(store.list(index: "spec.nodeName", value: "n1").map(\.name) == ["a"])
        #expect(store.list(index: "spec.nodeName", value: "n2").map(\.name) == ["b"])
        store.apply(.deleted(Self.pod("a", node: "n1", rv: "3")))
        #expect(store.list(index: "spec.nodeName", value: "n1").isEmpty)
        #expect(Set(store.indexValues("spec.nodeName")) == ["n2"])
    }

    @Test("a relist reports new, changed and vanished objects, and marks the store synced")
    func relist() async throws {
        let store = Store<Pod>()
        #expect(!store.hasSynced)
        store.replaceAll(with: [Self.pod("a", node: nil), Self.pod("b", node: nil)])
        #expect(store.hasSynced)
        try await store.waitUntilSynced()
        let changes = store.replaceAll(with: [Self.pod("b", node: nil, rv: "5"), Self.pod("c", node: nil), Self.pod("a", node: nil)].filter { $0.name != "a" })
        var deleted: [String] = []
        var applied: [String] = []
        for change in changes {
            switch change {
            case .deleted(let o): deleted.append(o.name)
            case .applied(let o, _): applied.append(o.name)
            }
        }
        #expect(deleted == ["a"])
        #expect(Set(applied) == ["b", "c"])
    }

    @Test("waitUntilSynced wakes waiters when the first list lands")
    func syncWaiters() async throws {
        let store = Store<Pod>()
        async let waited: Void = store.waitUntilSynced()
        #expect(await eventually { true })
        store.replaceAll(with: [])
        try await waited
    }
}
