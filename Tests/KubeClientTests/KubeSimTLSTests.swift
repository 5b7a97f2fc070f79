import Foundation
import KubeCore
import KubeSim
import Testing

@testable import KubeClient

/// kubeconfig credentials end to end: KubeSim serves HTTPS with a generated CA, checks client
/// certificates (mutual TLS) or bearer tokens, and the real KubeClient connects as configured.
@Suite("KubeClient credentials over TLS against KubeSim")
struct KubeSimTLSTests {
    /// A temporary directory removed by `body`'s end.
    static func withDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kubesim-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        return try await body(dir)
    }

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    /// Creates a ConfigMap and reads it back through `config`.
    static func roundTrip(_ config: ClusterConfig, name: String) async throws {
        try await KubeClient.withHTTP(config: config, qps: nil, retry: .none) { client in
            let maps = client.resource(ConfigMap.self, in: "default")
            _ = try await maps.create(ConfigMap(metadata: ObjectMeta(name: name, namespace: "default")))
            #expect(try await maps.get(name).name == name)
        }
    }

    @Test("client certificate over mutual TLS, from files and from inline data; the CN names the user")
    func clientCertificate() async throws {
        let tls = try KubeSimTLS.generate(requiresClientCertificate: true)
        let alice = try tls.issueClientCertificate(commonName: "alice", groups: ["system:masters"])
        let sim = KubeSim()
        try await Self.withDirectory { dir in
            try tls.caCertificatePEM.write(to: dir.appendingPathComponent("ca.crt"), atomically: true, encoding: .utf8)
            try alice.certificatePEM.write(to: dir.appendingPathComponent("alice.crt"), atomically: true, encoding: .utf8)
            try alice.keyPEM.write(to: dir.appendingPathComponent("alice.key"), atomically: true, encoding: .utf8)
            try await sim.withServer(tls: tls, authentication: KubeSimAuthentication()) { url throws in
                #expect(url.scheme == "https")
                let files = try Kubeconfig(yaml: """
                    current-context: files
                    clusters:
                    - name: sim
                      cluster: {server: "\(url.absoluteString)", certificate-authority: ca.crt}
                    users:
                    - name: alice
                      user: {client-certificate: alice.crt, client-key: alice.key}
                    contexts:
                    - name: files
                      context: {cluster: sim, user: alice}
                    """, directory: dir.path).resolve()
                try await Self.roundTrip(files, name: "from-files")

                let inline = try Kubeconfig(yaml: """
                    current-context: inline
                    clusters:
                    - name: sim
                      cluster: {server: "\(url.absoluteString)", certificate-authority-data: \(Self.base64(tls.caCertificatePEM))}
                    users:
                    - name: alice
                      user: {client-certificate-data: \(Self.base64(alice.certificatePEM)), client-key-data: \(Self.base64(alice.keyPEM))}
                    contexts:
                    - name: inline
                      context: {cluster: sim, user: alice}
                    """).resolve()
                try await Self.roundTrip(inline, name: "inline")
                #expect(sim.requestCount(verb: "create", resource: "configmaps", caller: .user("alice")) == 2)
                #expect(sim.requestCount(verb: "get", caller: .user("alice")) == 2)

                // Without a client certificate the handshake fails.
                var anonymous = inline
                anonymous.clientCertificatePEM = nil
                anonymous.clientKeyPEM = nil
                await #expect { try await Self.roundTrip(anonymous, name: "never") } throws: { ($0 as? KubeClientError)?.isTransport == true }
                // (An untrusted server certificate is not checked here: AsyncHTTPClient retries a failed
                // handshake until its 10 s connect timeout, which would dominate the suite.)
                #expect(sim.requestCount(verb: "create") == 2)
            }
        }
    }

    @Test("exec plugin: the script's token is checked by KubeSim; a wrong token gets 401")
    func execPlugin() async throws {
        let tls = try KubeSimTLS.generate()
        let sim = KubeSim()
        try await Self.withDirectory { dir in
            let plugin = dir.appendingPathComponent("plugin.sh").path
            try """
                #!/bin/sh
                case "$KUBERNETES_EXEC_INFO" in *'"apiVersion":"client.authentication.k8s.io/v1"'*) ;; *) exit 3;; esac
                printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$1"
                """.write(toFile: plugin, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: plugin)
            let authentication = KubeSimAuthentication(tokens: ["plugin-token": "bob"])
            try await sim.withServer(tls: tls, authentication: authentication) { url throws in
                func config(token: String) throws -> ClusterConfig {
                    try Kubeconfig(yaml: """
                        current-context: exec
                        clusters:
                        - name: sim
                          cluster: {server: "\(url.absoluteString)", certificate-authority-data: \(Self.base64(tls.caCertificatePEM))}
                        users:
                        - name: bob
                          user:
                            exec: {apiVersion: client.authentication.k8s.io/v1, command: ./plugin.sh, args: ["\(token)"], interactiveMode: Never}
                        contexts:
                        - name: exec
                          context: {cluster: sim, user: bob}
                        """, directory: dir.path).resolve()
                }
                try await Self.roundTrip(try config(token: "plugin-token"), name: "via-plugin")
                #expect(sim.requestCount(verb: "create", caller: .user("bob")) == 1)
                await #expect { try await Self.roundTrip(try config(token: "stolen"), name: "never") } throws: {
                    ($0 as? KubeClientError)?.statusCode == 401
                }
                #expect(sim.requestCount(verb: "create") == 1, "a 401 never reaches storage")
            }
        }
    }
}
