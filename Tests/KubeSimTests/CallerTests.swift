import AsyncHTTPClient
import Foundation
import KubeCore
import KubeSim
import NIOCore
import NIOHTTP1
import Testing

/// Per-client behaviour over HTTP: faults aimed at one caller, cutting one caller off,
/// request counters, and bearer-token authentication.
@Suite("KubeSim callers")
struct CallerTests {
    static func get(_ url: String, token: String? = nil, agent: String = "test") async throws -> UInt {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "User-Agent", value: agent)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 20)
        return response.status.code
    }

    @Test("a fault aimed at one caller spares the others and in-process calls")
    func targetedFault() async throws {
        let sim = KubeSim()
        try await sim.withServer { base throws in
            let url = "\(base)/api/v1/namespaces/default/configmaps"
            sim.failNext(2, verb: "list", resource: "configmaps", with: .internalError("only a"), caller: .bearerToken("a"))
            #expect(try await Self.get(url, token: "b") == 200)
            #expect(try sim.list(sim.configMaps, namespace: "default").items.isEmpty)
            #expect(try await Self.get(url, token: "a") == 500)
            #expect(try await Self.get(url, agent: "replica-a/1.0") == 200)
            sim.failNext(1, verb: "*", resource: "*", with: .internalError("agent"), caller: .userAgent(prefix: "replica-a"))
            #expect(try await Self.get(url, agent: "replica-a/1.0") == 500)
            #expect(try await Self.get(url, token: "a") == 500)
            #expect(try await Self.get(url, token: "a") == 200)
            #expect(sim.requestCount(verb: "list", resource: "configmaps", caller: .bearerToken("a")) == 3)
            #expect(sim.requestCount(verb: "list", caller: .userAgent(prefix: "replica-a")) == 2)
            #expect(sim.requestCount(verb: "list") == 7, "six over HTTP, one in process")
            sim.resetRequestCounts()
            #expect(sim.requestCount() == 0)
        }
    }

    @Test("a cut-off caller gets 503 and loses its watches; others keep theirs until reconnected")
    func cutOff() async throws {
        let sim = KubeSim()
        try await sim.withServer { base throws in
            let url = "\(base)/api/v1/namespaces/default/configmaps"
            let watchA = try await Caller.$current.withValue(Caller(bearerToken: "a")) { try sim.watch(sim.configMaps, namespace: "default") }
            let watchB = try await Caller.$current.withValue(Caller(bearerToken: "b")) { try sim.watch(sim.configMaps, namespace: "default") }
            #expect(sim.openWatchCount == 2)
            sim.cutOff(.bearerToken("a"))
            #expect(await watchA.next() == nil)
            #expect(sim.openWatchCount == 1)
            #expect(try await Self.get(url, token: "a") == 503)
            #expect(try await Self.get(url, token: "b") == 200)
            _ = try sim.create(ConfigMap.self, ConfigMap(metadata: ObjectMeta(name: "x", namespace: "default")))
            guard case .event("ADDED", _)? = await watchB.next() else { Issue.record("b's watch should go on"); return }
            sim.reconnect(.bearerToken("a"))
            #expect(try await Self.get(url, token: "a") == 200)
        }
    }

    @Test("with authentication, unknown tokens and anonymous requests get 401 Unauthorized")
    func authentication() async throws {
        let sim = KubeSim()
        try await sim.withServer(authentication: KubeSimAuthentication(tokens: ["good": "carol"])) { base throws in
            let url = "\(base)/api/v1/namespaces"
            #expect(try await Self.get(url, token: "good") == 200)
            #expect(try await Self.get(url, token: "bad") == 401)
            #expect(try await Self.get(url) == 401)
            #expect(sim.requestCount(verb: "list", caller: .user("carol")) == 1)
        }
        try await sim.withServer(authentication: KubeSimAuthentication(allowsAnonymous: true)) { base throws in
            #expect(try await Self.get("\(base)/api/v1/namespaces") == 200)
            #expect(try await Self.get("\(base)/api/v1/namespaces", token: "bad") == 401)
        }
    }
}
