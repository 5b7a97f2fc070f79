import AsyncHTTPClient
import Foundation
import KubeCore
import KubeSim
import NIOCore
import NIOHTTP1
import Testing

/// The REST surface over real HTTP (AsyncHTTPClient to KubeSim on a loopback port).
@Suite("KubeSim over HTTP")
struct HTTPTests {
    struct Reply {
        var code: UInt
        var body: JSONValue
        var contentType: String?
    }

    static func call(_ method: HTTPMethod, _ url: String, body: String? = nil, contentType: String = "application/json", accept: String? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(string: body))
        }
        if let accept { request.headers.add(name: "Accept", value: accept) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        let value = bytes.readableBytes == 0 ? JSONValue.null : try JSONDecoder().decode(JSONValue.self, from: Data(bytes.readableBytesView))
        return Reply(code: response.status.code, body: value, contentType: response.headers.first(name: "Content-Type"))
    }

    @Test("discovery documents name every served kind")
    func discovery() async throws {
        let sim = KubeSim()
        try await sim.withServer { base in
            let version = try await Self.call(.GET, "\(base)/version")
            #expect(version.body["major"] == "1")
            let core = try await Self.call(.GET, "\(base)/api/v1")
            let names = core.body["resources"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(Set(["pods", "pods/status", "pods/binding", "pods/eviction", "nodes", "nodes/status", "namespaces", "configmaps", "events"]).isSubset(of: Set(names)))
            let groups = try await Self.call(.GET, "\(base)/apis")
            let groupNames = groups.body["groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(groupNames.contains("coordination.k8s.io") && groupNames.contains("policy"))
            let leases = try await Self.call(.GET, "\(base)/apis/coordination.k8s.io/v1")
            #expect(leases.body["resources"]?.arrayValue?.first?["kind"] == "Lease")
        }
    }

    @Test("CRUD over HTTP answers kube-apiserver's codes and Status bodies")
    func crud() async throws {
        let sim = KubeSim()
        try await sim.withServer { base in
            let pods = "\(base)/api/v1/namespaces/default/pods"
            let created = try await Self.call(.POST, pods, body: #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"},"spec":{"containers":[{"name":"c","image":"x"}]}}"#)
            #expect(created.code == 201 && created.contentType == "application/json")
            let again = try await Self.call(.POST, pods, body: #"{"metadata":{"name":"a"},"spec":{"containers":[{"name":"c"}]}}"#)
            #expect(again.code == 409 && again.body["reason"] == "AlreadyExists" && again.body["kind"] == "Status")
            let missing = try await Self.call(.GET, "\(pods)/nope")
            #expect(missing.code == 404 && missing.body["message"] == #"pods "nope" not found"#)
            let malformed = try await Self.call(.POST, pods, body: #"{"metadata": {"name": "#)
            #expect(malformed.code == 400 && (malformed.body["message"]?.stringValue ?? "").contains("not valid JSON"))
            let wrongKind = try await Self.call(.POST, pods, body: #"{"kind":"ConfigMap","metadata":{"name":"b"}}"#)
            #expect(wrongKind.code == 400 && (wrongKind.body["message"]?.stringValue ?? "").contains("kind"))
            let unknown = try await Self.call(.GET, "\(base)/api/v1/widgets")
            #expect(unknown.code == 404)
            let badPatch = try await Self.call(.PATCH, "\(pods)/a", body: "{}", contentType: "text/plain")
            #expect(badPatch.code == 415)
            let merge = try await Self.call(.PATCH, "\(pods)/a", body: #"{"metadata":{"labels":{"x":"y"}}}"#, contentType: "application/merge-patch+json")
            #expect(merge.code == 200 && merge.body.value(at: ["metadata", "labels", "x"]) == "y")
            let status = try await Self.call(.PATCH, "\(pods)/a/status", body: #"{"status":{"phase":"Running"}}"#, contentType: "application/merge-patch+json")
            #expect(status.body.value(at: ["status", "phase"]) == "Running")
            let stale = try await Self.call(.PUT, "\(pods)/a", body: #"{"metadata":{"name":"a","resourceVersion":"1"},"spec":{"containers":[{"name":"c","image":"x"}]}}"#)
            #expect(stale.code == 409 && stale.body["reason"] == "Conflict")
            let badSelector = try await Self.call(.GET, "\(pods)?labelSelector=app+in+%28a")
            #expect(badSelector.code == 400)
            let selected = try await Self.call(.GET, "\(pods)?labelSelector=x+in+%28y%2Cz%29")
            #expect(selected.body["items"]?.arrayValue?.count == 1)
            let deleted = try await Self.call(.DELETE, "\(pods)/a")
            #expect(deleted.code == 200)
        }
    }

    @Test("binding and eviction subresources over HTTP")
    func subresources() async throws {
        let sim = KubeSim()
        try await sim.withServer { base in
            let pods = "\(base)/api/v1/namespaces/default/pods"
            _ = try await Self.call(.POST, pods, body: #"{"metadata":{"name":"a"},"spec":{"containers":[{"name":"c"}]}}"#)
            let bound = try await Self.call(.POST, "\(pods)/a/binding", body: #"{"apiVersion":"v1","kind":"Binding","metadata":{"name":"a"},"target":{"kind":"Node","name":"n1"}}"#)
            #expect(bound.code == 201)
            let twice = try await Self.call(.POST, "\(pods)/a/binding", body: #"{"target":{"kind":"Node","name":"n2"}}"#)
            #expect(twice.code == 409)
            let evicted = try await Self.call(.POST, "\(pods)/a/eviction", body: #"{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"a"}}"#)
            #expect(evicted.code == 201)
            let gone = try await Self.call(.GET, "\(pods)/a")
            #expect(gone.body.value(at: ["metadata", "deletionTimestamp"]) != nil)
        }
    }

    @Test("a watch streams one JSON object per line and ends at timeoutSeconds")
    func watchStream() async throws {
        let clock = ManualClock()
        let sim = KubeSim(clock: clock)
        try await sim.withServer { base in
            let rv = sim.currentResourceVersion
            var request = HTTPClientRequest(url: "\(base)/api/v1/pods?watch=true&resourceVersion=\(rv)&timeoutSeconds=30&allowWatchBookmarks=true")
            request.method = .GET
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            #expect(response.status == .ok)
            for name in ["a", "b"] {
                _ = try sim.create(sim.pods, namespace: "default", ["metadata": ["name": .string(name)], "spec": ["containers": [["name": "c"]]]])
            }
            sim.sendBookmarks()
            var pending = ""
            var lines: [JSONValue] = []
            var timedOut = false
            for try await chunk in response.body {
                pending += String(buffer: chunk)
                while let newline = pending.firstIndex(of: "\n") {
                    lines.append(try JSONDecoder().decode(JSONValue.self, from: Data(pending[..<newline].utf8)))
                    pending = String(pending[pending.index(after: newline)...])
                }
                if lines.count == 3 && !timedOut {
                    // Wait until the timeout task sleeps, then pass the deadline: the server ends the stream.
                    while clock.sleeperCount < 2 { await Task.yield() }
                    clock.advance(by: .seconds(31))
                    timedOut = true
                }
            }
            #expect(lines.map { $0["type"]?.stringValue ?? "" } == ["ADDED", "ADDED", "BOOKMARK"])
            #expect(lines[2].value(at: ["object", "metadata", "resourceVersion"])?.stringValue == sim.currentResourceVersion)
        }
    }

    @Test("an expired watch version answers 410 Gone")
    func watchGone() async throws {
        let sim = KubeSim()
        try await sim.withServer { base in
            _ = try sim.create(sim.pods, namespace: "default", ["metadata": ["name": "a"], "spec": ["containers": [["name": "c"]]]])
            sim.compactHistory()
            let reply = try await Self.call(.GET, "\(base)/api/v1/pods?watch=1&resourceVersion=2")
            #expect(reply.code == 410 && reply.body["reason"] == "Expired")
        }
    }

    @Test("kubectl's Table requests get meta.k8s.io Tables")
    func tables() async throws {
        let sim = KubeSim()
        try await sim.withServer { base in
            _ = try sim.create(sim.pods, namespace: "default", ["metadata": ["name": "a"], "spec": ["containers": [["name": "c"]]]])
            let reply = try await Self.call(.GET, "\(base)/api/v1/namespaces/default/pods", accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
            #expect(reply.body["kind"] == "Table")
            #expect(reply.body["rows"]?.arrayValue?.first?["cells"]?.arrayValue?.first == "a")
            #expect(reply.body["rows"]?.arrayValue?.first?.value(at: ["object", "kind"]) == "PartialObjectMetadata")
        }
    }
}
