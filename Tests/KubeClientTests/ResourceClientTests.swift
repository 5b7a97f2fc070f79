import TestSupport
import Foundation
import KubeCore
import KubeSim
import Testing

@testable import KubeClient

@Suite("ResourceClient over KubeSim in process")
struct ResourceClientTests {
    let server: KubeSim
    let clock = ManualClock()
    let client: KubeClient

    init() {
        server = KubeSim.inProcess(clock: clock)
        client = server.inProcessClient(clock: clock)
    }

    static func configMap(_ name: String, _ data: [String: String] = [:], labels: [String: String]? = nil) -> ConfigMap {
        var cm = ConfigMap(metadata: ObjectMeta(name: name, namespace: "ns", labels: labels))
        cm.data = data
        return cm
    }

    @Test("create, get, update with the current version, and 409 with a stale one")
    func crud() async throws {
        let maps = client.resource(ConfigMap.self, in: "ns")
        let created = try await maps.create(Self.configMap("a", ["k": "1"]))
        #expect(created.metadata.uid != nil)
        var fetched = try await maps.get("a")
        #expect(fetched.data == ["k": "1"])
        fetched.data = ["k": "2"]
        let updated = try await maps.update(fetched)
        #expect(updated.data == ["k": "2"])
        await #expect { try await maps.update(fetched) } throws: { ($0 as? KubeClientError)?.isConflict == true }
        await #expect { try await maps.create(Self.configMap("a")) } throws: { ($0 as? KubeClientError)?.isAlreadyExists == true }
        await #expect { try await maps.get("missing") } throws: { ($0 as? KubeClientError)?.isNotFound == true }
        #expect(try await maps.getIfPresent("missing") == nil)
    }

    @Test("list follows continue tokens across pages and filters by label")
    func pagination() async throws {
        for i in 0..<25 { try server.seed(Self.configMap(String(format: "cm-%02d", i), labels: ["even": i % 2 == 0 ? "yes" : "no"])) }
        let before = server.requestCount()
        let all = try await client.resource(ConfigMap.self, in: "ns").list(ListOptions(limit: 10))
        #expect(all.items.map(\.name) == (0..<25).map { String(format: "cm-%02d", $0) })
        #expect(server.requestCount() - before == 3)
        #expect(all.metadata.continue == nil)
        let even = try await client.resource(ConfigMap.self, in: "ns").list(ListOptions(labelSelector: try LabelSelector(parsing: "even=yes"), limit: 4))
        #expect(even.items.count == 13)
    }

    @Test("merge, JSON (with test) and strategic merge patches")
    func patches() async throws {
        let maps = client.resource(ConfigMap.self, in: "ns")
        _ = try await maps.create(Self.configMap("p", ["a": "1", "b": "2"]))
        let merged = try await maps.patch("p", .merge(.object(["data": .object(["a": .null, "c": "3"])])))
        #expect(merged.data == ["b": "2", "c": "3"])
        let jsonPatched = try await maps.patch("p", .json(JSONPatch([.test("/data/b", "2"), .replace("/data/b", "20")])))
        #expect(jsonPatched.data?["b"] == "20")
        await #expect { try await maps.patch("p", .json(JSONPatch([.test("/data/b", "2"), .replace("/data/b", "x")]))) } throws: {
            ($0 as? KubeClientError)?.statusCode == 422
        }
        #expect(try await maps.get("p").data?["b"] == "20")

        let pods = client.resource(Pod.self, in: "ns")
        _ = try await pods.create(Pod(metadata: ObjectMeta(name: "web", namespace: "ns"), spec: PodSpec(containers: [Container(name: "a"), Container(name: "b")])))
        // Containers merge by name; the image is one of the few pod spec fields an update may change.
        let patched = try await pods.patch("web", .strategicMerge(.object(["spec": .object(["containers": .array([.object(["name": "b", "image": "busybox:2"])])])])))
        #expect(patched.spec.containers.map(\.name) == ["a", "b"])
        #expect(patched.spec.containers.map { $0.unknownFields["image"] } == [nil, "busybox:2"])
    }

    @Test("delete honours preconditions; binding and eviction subresources")
    func deleteAndSubresources() async throws {
        let maps = client.resource(ConfigMap.self, in: "ns")
        let created = try await maps.create(Self.configMap("d"))
        await #expect { try await maps.delete("d", options: DeleteOptions(preconditions: .init(uid: "other"))) } throws: { ($0 as? KubeClientError)?.isConflict == true }
        try await maps.delete("d", options: DeleteOptions(gracePeriodSeconds: 0, preconditions: .init(uid: created.metadata.uid)))
        #expect(try await maps.getIfPresent("d") == nil)

        let pods = client.resource(Pod.self, in: "ns")
        _ = try await pods.create(Pod(metadata: ObjectMeta(name: "p", namespace: "ns"), spec: PodSpec(containers: [Container(name: "main")])))
        try await pods.bind("p", to: "node-1")
        #expect(try await pods.get("p").spec.nodeName == "node-1")
        await #expect { try await pods.bind("p", to: "node-2") } throws: { ($0 as? KubeClientError)?.isConflict == true }
        try await pods.evict("p")
        // Bound to a node: marked for deletion, which the kubelet finishes.
        #expect(try await pods.get("p").metadata.deletionTimestamp != nil)
    }

    @Test("429 is retried after the server's Retry-After; 5xx is retried for GET but not for POST")
    func retries() async throws {
        let maps = client.resource(ConfigMap.self, in: "ns")
        try server.seed(Self.configMap("r"))
        var busy = APIStatus(code: 429, reason: "TooManyRequests", message: "slow down")
        busy.details = .init(retryAfterSeconds: 3)
        server.failNext(2, verb: "get", resource: "configmaps", with: busy)
        let start = clock.now
        let fetched = try await driving(clock) { try await maps.get("r") }
        #expect(fetched.name == "r")
        #expect(clock.now.timeIntervalSince(start) >= 6)

        server.failNext(2, verb: "get", resource: "configmaps", with: .internalError("boom"))
        #expect(try await driving(clock) { try await maps.get("r") }.name == "r")

        server.failNext(1, verb: "create", resource: "configmaps", with: .internalError("boom"))
        let requests = server.requestCount()
        await #expect { try await maps.create(Self.configMap("s")) } throws: { ($0 as? KubeClientError)?.isServerError == true }
        #expect(server.requestCount() == requests + 1)

        server.failNext(1, verb: "create", resource: "configmaps", with: busy)
        _ = try await driving(clock) { try await maps.create(Self.configMap("s")) }

        var noRetries = client
        noRetries.retry = .none
        server.failNext(1, verb: "get", resource: "configmaps", with: busy)
        await #expect { try await noRetries.resource(ConfigMap.self, in: "ns").get("r") } throws: { ($0 as? KubeClientError)?.isTooManyRequests == true }
    }

    @Test("retryOnConflict re-reads and retries a read-modify-write")
    func conflictRetry() async throws {
        let maps = client.resource(ConfigMap.self, in: "ns")
        try server.seed(Self.configMap("c", ["n": "0"]))
        let attempts = PullCounter()
        let result = try await driving(clock) {
            try await retryOnConflict(clock: clock) {
                var current = try await maps.get("c")
                let attempt = attempts.increment()
                // Each patch changes the object (a patch that changes nothing leaves its version, as kube-apiserver does).
                if attempt <= 2 { _ = try await maps.patch("c", .merge(.object(["data": .object(["other": .string("x\(attempt)")])]))) }
                current.data?["n"] = "1"
                return try await maps.update(current)
            }
        }
        #expect(attempts.value == 3)
        #expect(result.data?["n"] == "1")
    }
}

@Suite("TokenBucket")
struct TokenBucketTests {
    @Test("allows a burst, then spaces requests at 1/qps")
    func bucket() {
        let clock = ManualClock()
        let bucket = TokenBucket(qps: 10, burst: 3, clock: clock)
        #expect((0..<3).map { _ in bucket.reserve() } == [.zero, .zero, .zero])
        #expect(abs(bucket.reserve().seconds - 0.1) < 1e-9)
        #expect(abs(bucket.reserve().seconds - 0.2) < 1e-9)
        clock.advance(by: .seconds(10))
        #expect(bucket.tryAcquire())
    }

    @Test("a rate-limited client waits on the clock")
    func limitedClient() async throws {
        let clock = ManualClock()
        let server = KubeSim.inProcess(clock: clock)
        let client = server.inProcessClient(qps: 2, burst: 1, clock: clock)
        try server.seed(ResourceClientTests.configMap("x"))
        let maps = client.resource(ConfigMap.self, in: "ns")
        let start = clock.now
        try await driving(clock, step: .milliseconds(50)) { for _ in 0..<5 { _ = try await maps.get("x") } }
        #expect(abs(clock.now.timeIntervalSince(start) - 2.0) < 0.11)
    }
}
