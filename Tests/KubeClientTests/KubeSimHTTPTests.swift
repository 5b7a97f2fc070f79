import Foundation
import KubeCore
import KubeSim
import Testing

@testable import KubeClient

/// The real HTTP stack (AsyncHTTPClient over loopback) against KubeSim on port 0.
@Suite("KubeClient over HTTP against KubeSim")
struct KubeSimHTTPTests {
    static func kubeconfig(_ url: URL) throws -> ClusterConfig {
        try Kubeconfig(yaml: """
            current-context: sim
            clusters:
            - name: sim
              cluster: {server: "\(url.absoluteString)"}
            users:
            - name: u
              user: {token: sim-token}
            contexts:
            - name: sim
              context: {cluster: sim, user: u, namespace: ns}
            """).resolve()
    }

    @Test("token kubeconfig: CRUD, pagination, every patch type, conflicts and retried 429/5xx")
    func crudOverHTTP() async throws {
        let sim = KubeSim()
        try await sim.withServer { url in
            try await KubeClient.withHTTP(config: try Self.kubeconfig(url), qps: nil, retry: RetryPolicy(backoff: Backoff(initial: .milliseconds(1), maximum: .milliseconds(4)))) { client in
                _ = try await client.resource(Namespace.self).create(Namespace(metadata: ObjectMeta(name: "ns")))
                let maps = client.resource(ConfigMap.self, in: client.defaultNamespace)
                for i in 0..<12 {
                    var cm = ConfigMap(metadata: ObjectMeta(name: String(format: "c%02d", i), namespace: "ns"))
                    cm.data = ["v": "\(i)"]
                    _ = try await maps.create(cm)
                }
                let all = try await maps.list(ListOptions(limit: 5))
                #expect(all.items.count == 12)
                #expect(Set(all.items.map(\.name)).count == 12)

                let merged = try await maps.patch("c00", .merge(.object(["data": .object(["w": "1"])])))
                #expect(merged.data == ["v": "0", "w": "1"])
                let json = try await maps.patch("c00", .json(JSONPatch([.test("/data/v", "0"), .replace("/data/v", "9")])))
                #expect(json.data?["v"] == "9")
                await #expect { try await maps.patch("c00", .json(JSONPatch([.test("/data/v", "0")]))) } throws: {
                    let code = ($0 as? KubeClientError)?.statusCode
                    return code == 422 || code == 409
                }
                let pods = client.resource(Pod.self, in: "ns")
                var a = Container(name: "a")
                a.unknownFields["image"] = "x"
                var b = Container(name: "b")
                b.unknownFields["image"] = "y"
                _ = try await pods.create(Pod(metadata: ObjectMeta(name: "p", namespace: "ns"), spec: PodSpec(containers: [a, b])))
                let smp = try await pods.patch("p", .strategicMerge(.object(["spec": .object(["containers": .array([.object(["name": "b", "image": "z"])])])])))
                #expect(smp.spec.containers.map(\.name) == ["a", "b"])
                #expect(smp.spec.containers.map { $0.unknownFields["image"] } == ["x", "z"])

                let stale = try await maps.get("c01")
                _ = try await maps.patch("c01", .merge(.object(["data": .object(["x": "y"])])))
                await #expect { try await maps.update(stale) } throws: { ($0 as? KubeClientError)?.isConflict == true }
                let updated = try await retryOnConflict {
                    var current = try await maps.get("c01")
                    current.data?["z"] = "1"
                    return try await maps.update(current)
                }
                #expect(updated.data?["z"] == "1")

                var busy = APIStatus(code: 429, reason: "TooManyRequests", message: "slow")
                busy.details = .init(retryAfterSeconds: 0)
                sim.failNext(2, verb: "get", resource: "configmaps", with: busy)
                #expect(try await maps.get("c02").name == "c02")
                sim.failNext(2, verb: "list", resource: "configmaps", with: .internalError("flaky"))
                #expect(try await maps.list().items.count == 12)
                sim.failNext(1, verb: "create", resource: "configmaps", with: .internalError("once"))
                await #expect { try await maps.create(ConfigMap(metadata: ObjectMeta(name: "new", namespace: "ns"))) } throws: {
                    ($0 as? KubeClientError)?.isServerError == true
                }
            }
        }
    }

    @Test("watch over HTTP: resume after a dropped connection without gaps or duplicates; 410 after compaction")
    func watchResume() async throws {
        let sim = KubeSim()
        try await sim.withServer { url in
            try await KubeClient.withHTTP(config: try Self.kubeconfig(url), qps: nil) { client in
                _ = try await client.resource(Namespace.self).create(Namespace(metadata: ObjectMeta(name: "ns")))
                let maps = client.resource(ConfigMap.self, in: "ns")
                let start = try await maps.list().metadata.resourceVersion
                var seen: [String] = []
                var version = start
                for round in 0..<2 {
                    var stream = try await maps.watch(from: version, allowBookmarks: false).makeAsyncIterator()
                    for i in 0..<3 { _ = try await maps.create(ConfigMap(metadata: ObjectMeta(name: "r\(round)-\(i)", namespace: "ns"))) }
                    for _ in 0..<3 {
                        guard let event = try await stream.next(), case .added(let object) = event else { break }
                        seen.append(object.name)
                        version = object.metadata.resourceVersion
                    }
                    sim.dropWatches()
                    _ = try await maps.create(ConfigMap(metadata: ObjectMeta(name: "gap-\(round)", namespace: "ns")))
                    // Anything written between drop and resume arrives on the next watch.
                    var resumed = try await maps.watch(from: version, allowBookmarks: false).makeAsyncIterator()
                    if let event = try await resumed.next(), case .added(let object) = event {
                        seen.append(object.name)
                        version = object.metadata.resourceVersion
                    }
                    sim.dropWatches()
                }
                #expect(seen == ["r0-0", "r0-1", "r0-2", "gap-0", "r1-0", "r1-1", "r1-2", "gap-1"])
                sim.compactHistory()
                await #expect {
                    var iterator = try await maps.watch(from: start, allowBookmarks: false).makeAsyncIterator()
                    _ = try await iterator.next()
                } throws: { ($0 as? KubeClientError)?.isGone == true }
            }
        }
    }
}
