import Foundation
import KubeCore
import Testing

@testable import KubeClient

@Suite("Kubeconfig")
struct KubeconfigTests {
    static let yaml = """
        apiVersion: v1
        kind: Config
        current-context: dev
        clusters:
        - name: dev
          cluster:
            server: https://10.0.0.1:6443
            certificate-authority-data: \(Data("CA-PEM".utf8).base64EncodedString())
        - name: lab
          cluster:
            server: https://lab.example:443/
            insecure-skip-tls-verify: true
            certificate-authority: certs/ca.pem
        users:
        - name: token-user
          user:
            token: abc
        - name: cert-user
          user:
            client-certificate-data: \(Data("CERT".utf8).base64EncodedString())
            client-key-data: \(Data("KEY".utf8).base64EncodedString())
        - name: file-user
          user:
            tokenFile: token.txt
        - name: exec-user
          user:
            exec:
              apiVersion: client.authentication.k8s.io/v1beta1
              command: ./plugin.sh
              args: ["--flag"]
              env:
              - name: PLUGIN_TOKEN
                value: from-env
        contexts:
        - name: dev
          context: {cluster: dev, user: token-user, namespace: team-a}
        - name: certs
          context: {cluster: dev, user: cert-user}
        - name: lab
          context: {cluster: lab, user: file-user}
        - name: exec
          context: {cluster: dev, user: exec-user}
        """

    @Test("current context: server, inline CA, token and namespace")
    func currentContext() throws {
        let config = try Kubeconfig(yaml: Self.yaml).resolve()
        #expect(config.server.absoluteString == "https://10.0.0.1:6443")
        #expect(config.certificateAuthorityPEM == Data("CA-PEM".utf8))
        #expect(config.credentials == .token("abc"))
        #expect(config.namespace == "team-a")
    }

    @Test("named contexts: client certificate data, token file and CA file relative to the kubeconfig, insecure")
    func namedContexts() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("certs"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("FILE-CA".utf8).write(to: dir.appendingPathComponent("certs/ca.pem"))
        let path = dir.appendingPathComponent("config").path
        try Self.yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let kubeconfig = try Kubeconfig(files: [path])
        let certs = try kubeconfig.resolve(context: "certs")
        #expect(certs.clientCertificatePEM == Data("CERT".utf8) && certs.clientKeyPEM == Data("KEY".utf8))
        #expect(certs.namespace == "default")
        let lab = try kubeconfig.resolve(context: "lab")
        #expect(lab.server.absoluteString == "https://lab.example:443")
        #expect(lab.insecureSkipTLSVerify)
        #expect(lab.certificateAuthorityPEM == Data("FILE-CA".utf8))
        #expect(lab.credentials == .tokenFile(dir.appendingPathComponent("token.txt").path))
        #expect(throws: KubeconfigError.missingEntry(kind: "context", name: "nope")) { try kubeconfig.resolve(context: "nope") }
    }

    @Test("KUBECONFIG lists several files; the first definition wins")
    func merging() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = dir.appendingPathComponent("a").path
        let second = dir.appendingPathComponent("b").path
        try "current-context: other\ncontexts:\n- name: other\n  context: {cluster: dev}\n".write(toFile: first, atomically: true, encoding: .utf8)
        try Self.yaml.write(toFile: second, atomically: true, encoding: .utf8)
        let config = try ClusterConfig.load(environment: ["KUBECONFIG": "\(first):\(second):/missing", "HOME": "/nonexistent"])
        #expect(config.server.absoluteString == "https://10.0.0.1:6443")
        #expect(config.credentials == .none)
        #expect(throws: KubeconfigError.self) { try ClusterConfig.load(environment: ["HOME": "/nonexistent"]) }
    }

    @Test("in-cluster: service host and port, mounted CA, token file re-read after rotation")
    func inCluster() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sa-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("CA".utf8).write(to: dir.appendingPathComponent("ca.crt"))
        try "t1\n".write(to: dir.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        try "kube-system".write(to: dir.appendingPathComponent("namespace"), atomically: true, encoding: .utf8)
        let config = try ClusterConfig.inCluster(environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"], directory: dir.path)
        #expect(config.server.absoluteString == "https://10.96.0.1:443")
        #expect(config.namespace == "kube-system")
        let clock = ManualClock()
        let source = CredentialSource(config.credentials, server: config.server, clock: clock)
        #expect(try await source.authorization() == "Bearer t1")
        try "t2".write(to: dir.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        #expect(try await source.authorization() == "Bearer t1")
        clock.advance(by: .seconds(61))
        #expect(try await source.authorization() == "Bearer t2")
        try "t3".write(to: dir.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        source.invalidate()  // what a 401 does
        #expect(try await source.authorization() == "Bearer t3")
    }

    @Test("exec plugin (v1beta1 and v1): runs the script with KUBERNETES_EXEC_INFO and caches until expiry", arguments: ["v1beta1", "v1"])
    func execPlugin(version: String) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("exec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let counter = dir.appendingPathComponent("runs").path
        let script = """
            #!/bin/sh
            echo run >> \(counter)
            case "$KUBERNETES_EXEC_INFO" in *'"apiVersion":"client.authentication.k8s.io/\(version)"'*) ;; *) echo "bad info" >&2; exit 3;; esac
            [ "$1" = "--flag" ] || exit 4
            printf '{"apiVersion":"client.authentication.k8s.io/\(version)","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"2027-01-15T08:00:00Z"}}' "$PLUGIN_TOKEN"
            """
        let path = dir.appendingPathComponent("plugin.sh").path
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        let yaml = Self.yaml.replacingOccurrences(of: "client.authentication.k8s.io/v1beta1", with: "client.authentication.k8s.io/\(version)")
        let config = try Kubeconfig(yaml: yaml, directory: dir.path).resolve(context: "exec")
        let clock = ManualClock(start: RFC3339.parse("2027-01-15T07:00:00Z")!)
        let source = CredentialSource(config.credentials, server: config.server, clock: clock)
        #expect(try await source.authorization() == "Bearer from-env")
        #expect(try await source.authorization() == "Bearer from-env")
        #expect(try String(contentsOfFile: counter, encoding: .utf8).split(separator: "\n").count == 1)
        clock.advance(by: .seconds(3601))
        _ = try await source.authorization()
        #expect(try String(contentsOfFile: counter, encoding: .utf8).split(separator: "\n").count == 2)
    }

    @Test("a failing exec plugin is a credentials error carrying its stderr")
    func execFailure() async throws {
        let config = ExecConfig(apiVersion: "client.authentication.k8s.io/v1", command: "/bin/sh", args: ["-c", "echo denied >&2; exit 1"])
        let source = CredentialSource(.exec(config), server: URL(string: "https://x")!)
        await #expect {
            try await source.authorization()
        } throws: { error in
            guard case .credentials(let text) = error as? KubeClientError else { return false }
            return text.contains("denied")
        }
    }
}
