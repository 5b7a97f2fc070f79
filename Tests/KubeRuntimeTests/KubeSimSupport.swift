import AsyncHTTPClient
import Foundation
import KubeClient
import KubeCore
import KubeSim

/// Runs `body` with KubeSim served on a loopback port and one `HTTPClient` for every replica
/// (one per process, as in production); `client(token)` makes a KubeClient that authenticates
/// with its own bearer token, so KubeSim can count, fault or cut off each replica alone.
func withKubeSim<T: Sendable>(
    _ sim: KubeSim,
    _ body: @Sendable (_ client: @Sendable (_ token: String) -> KubeClient) async throws -> T
) async throws -> T {
    try await sim.withServer { url throws in
        let http = try HTTPTransport.makeHTTPClient(for: ClusterConfig(server: url))
        do {
            let result = try await body { token in
                let config = ClusterConfig(server: url, credentials: .token(token), namespace: "ns")
                var client = KubeClient(transport: HTTPTransport(config: config, httpClient: http), qps: nil, retry: .none)
                client.logger.logLevel = .critical
                return client
            }
            try await http.shutdown()
            return result
        } catch {
            try? await http.shutdown()
            throw error
        }
    }
}

/// KubeSim with namespace `ns` and ConfigMaps `c0`…`c<count-1>` in it.
func seededSim(configMaps count: Int) throws -> KubeSim {
    let sim = KubeSim()
    _ = try sim.create(Namespace.self, Namespace(metadata: ObjectMeta(name: "ns")))
    for i in 0..<count { _ = try sim.create(ConfigMap.self, ConfigMap(metadata: ObjectMeta(name: "c\(i)", namespace: "ns"))) }
    sim.resetRequestCounts()
    return sim
}
