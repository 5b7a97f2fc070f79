import AsyncHTTPClient
import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import KubeSim
import N8sCore
import NIOCore
import ServiceLifecycle
import Testing

@testable import N8sServices

/// `n8s scheduler-extender` as kube-scheduler meets it: its caches fed by watches of a KubeSim
/// over HTTP, its answers over HTTP on 127.0.0.1.
@Suite("scheduler extender over HTTP")
struct ExtenderHTTPTests {
    typealias X = XF

    /// Runs the extender's watchers and server (port 0) against `client` for the duration of `body`.
    static func withExtender(client: KubeClient, clock: ManualClock, _ body: @Sendable (SchedulerExtender, Int) async throws -> Void) async throws {
        let ext = SchedulerExtender(rates: X.rates, clock: clock, logger: quietLogger)
        let (ports, sink) = AsyncStream.makeStream(of: Int.self)
        var server = SchedulerExtenderServer(port: 0, extender: ext, logger: quietLogger)
        server.maxBodyBytes = Self.maxBodyBytes
        server.onListening = { port in
            sink.yield(port)
            sink.finish()
        }
        let watchers = SchedulerExtenderService(extender: ext, client: client, logger: quietLogger)
        try await withRunning([watchers, server], ready: ports) { port in try await body(ext, port) }
    }

    /// A small limit, so the too-large case moves kilobytes, not the default 32 MiB.
    static let maxBodyBytes = 64 << 10

    /// POSTs `body` to `path`; the status and the answer's JSON object.
    static func post(_ body: Data, to path: String, port: Int) async throws -> (code: UInt, json: [String: Any]) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (response.status.code, try JSONSerialization.jsonObject(with: Data(buffer: bytes)) as? [String: Any] ?? [:])
    }

    @Test("C18 end to end: filter admits the owner, preempt keeps the borrower's pod, bindings seen by the watch release the hold; bad bodies get Error")
    func c18() async throws {
        let clock = ManualClock()
        try await withSim(clock: clock) { sim, client in
            try OFixtures.install(into: sim, namespaces: ["q1", "q2"])
            _ = try sim.create(ElasticQuota.self, X.quota("q1", max: X.cpu(4)))
            _ = try sim.create(ElasticQuota.self, X.quota("q2", min: X.cpu(2)))
            _ = try sim.create(Node.self, X.node("n1", cpu: 4))
            let borrowers = try (0..<4).map { i in
                let p = X.pod("b\(i)", in: "q1", minute: i)
                return try sim.create(Pod.self, Pod(metadata: ObjectMeta(name: p.name, namespace: "q1"), spec: p.spec))
            }
            let owner = try sim.create(Pod.self, Pod(metadata: ObjectMeta(name: "o1", namespace: "q2"), spec: X.pod("o1", in: "q2", node: nil).spec))
            try await Self.withExtender(client: client, clock: clock) { ext, port in
                #expect(await eventually { ext.hasSynced && ext.pods.count == 5 && ext.elasticQuotas.count == 2 })
                let filtered = try await Self.post(try X.filterBody(owner, nodes: ["n1"]), to: "/filter", port: port)
                #expect(filtered.code == 200)
                #expect(filtered.json["NodeNames"] as? [String] == ["n1"])
                #expect(ext.assumedUIDs == [owner.metadata.uid ?? ""])

                let lower = try X.lowercasedKeys(try X.preemptBody(owner, victims: ["n1": [borrowers[3]]]))
                let preempted = try await Self.post(lower, to: "/preempt", port: port)
                #expect(preempted.code == 200)
                let victims = preempted.json["NodeNameToMetaVictims"] as? [String: [String: Any]]
                #expect((victims?["n1"]?["Pods"] as? [[String: String]])?.map { $0["UID"] } == [borrowers[3].metadata.uid])

                try sim.bind(namespace: "q2", name: "o1", ["apiVersion": "v1", "kind": "Binding", "metadata": ["name": "o1"], "target": ["kind": "Node", "name": "n1"]])
                #expect(await eventually { ext.assumedUIDs.isEmpty }, "the watch saw the binding")

                let truncated = try await Self.post(Data(#"{"Pod": {"metadata": {"#.utf8), to: "/filter", port: port)
                #expect(truncated.code == 200)
                #expect(truncated.json["NodeNames"] as? [String] == [])
                #expect((truncated.json["Error"] as? String)?.isEmpty == false)
                let huge = Data(repeating: UInt8(ascii: " "), count: Self.maxBodyBytes + 1)
                let tooLarge = try await Self.post(huge, to: "/filter", port: port)
                #expect(tooLarge.json["NodeNames"] as? [String] == [])
                #expect((tooLarge.json["Error"] as? String)?.contains("larger than") == true)
                let badPreempt = try await Self.post(Data("[]".utf8), to: "/preempt", port: port)
                #expect(badPreempt.code == 400)
                #expect((badPreempt.json["Error"] as? String)?.isEmpty == false)
            }
        }
    }
}
