import Foundation
import KubeClient
import KubeCore
import KubeSim
import TestSupport
import Testing

/// KubeSim served in process through KubeClient's `Transport`: the HTTP layer's answers, no socket.
@Suite("KubeSimTransport")
struct KubeSimTransportTests {
    @Test("answers as over HTTP: status codes and Status bodies, created objects")
    func answers() async throws {
        let sim = KubeSim(clock: ManualClock())
        let transport = KubeSimTransport(sim: sim)
        let missing = try await transport.send(APIRequest(.get, "/api/v1/namespaces/default/configmaps/nope"))
        #expect(missing.statusCode == 404)
        let status = try KubeJSON.decode(APIStatus.self, from: missing.body)
        #expect(status.reason == "NotFound" && status.message == "configmaps \"nope\" not found")
        let body = Data(#"{"metadata":{"name":"c"},"data":{"k":"v"}}"#.utf8)
        let created = try await transport.send(APIRequest(.post, "/api/v1/namespaces/default/configmaps", body: body, contentType: "application/json"))
        #expect(created.statusCode == 201 && created.headers["content-type"] == "application/json")
        #expect(try sim.get(ConfigMap.self, namespace: "default", name: "c").data == ["k": "v"])
    }

    @Test("a watch streams events as they happen and ends on the server once its reader stops")
    func watch() async throws {
        let sim = KubeSim(clock: ManualClock())
        let transport = KubeSimTransport(sim: sim)
        do {
            let response = try await transport.stream(APIRequest(.get, "/api/v1/namespaces/default/configmaps", query: [.init("watch", "true")]))
            #expect(response.statusCode == 200 && sim.openWatchCount == 1)
            _ = try sim.create(ConfigMap.self, ConfigMap(metadata: ObjectMeta(name: "c", namespace: "default")))
            var chunks = response.body.makeAsyncIterator()
            let first = try #require(try await chunks.next())
            #expect(String(buffer: first).hasPrefix(#"{"object":"#) && String(buffer: first).contains(#""type":"ADDED""#))
        }
        #expect(await eventually { sim.openWatchCount == 0 }, "the reader dropped the stream: the watch ends")
    }
}
