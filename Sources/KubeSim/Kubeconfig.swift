import Foundation

/// The kubeconfig that points clients at a KubeSim on loopback, with cluster, user and context
/// all named `kubesim`.
public enum KubeconfigFile {
    /// - Parameters:
    ///   - server: base URL, `http://…` or `https://…`.
    ///   - certificateAuthorityPEM: the CA to trust (HTTPS), written as `certificate-authority-data`.
    ///   - clientCertificate: a client certificate and key (PEM) for mutual TLS, written inline.
    public static func text(server: String, certificateAuthorityPEM: String? = nil, clientCertificate: (certificatePEM: String, keyPEM: String)? = nil) -> String {
        func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
        let cluster = certificateAuthorityPEM.map { "\n    certificate-authority-data: \(base64($0))" } ?? ""
        let user = clientCertificate.map {
            "\n    client-certificate-data: \(base64($0.certificatePEM))\n    client-key-data: \(base64($0.keyPEM))"
        } ?? " {}"
        return """
            apiVersion: v1
            kind: Config
            clusters:
            - name: kubesim
              cluster:
                server: \(server)\(cluster)
            users:
            - name: kubesim
              user:\(user)
            contexts:
            - name: kubesim
              context:
                cluster: kubesim
                user: kubesim
                namespace: default
            current-context: kubesim
            preferences: {}

            """
    }

    /// Writes the kubeconfig (see ``text(server:certificateAuthorityPEM:clientCertificate:)``), creating its directory.
    /// - Throws: the file system's error when the path cannot be written.
    public static func write(server: String, certificateAuthorityPEM: String? = nil, clientCertificate: (certificatePEM: String, keyPEM: String)? = nil, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text(server: server, certificateAuthorityPEM: certificateAuthorityPEM, clientCertificate: clientCertificate)
            .write(to: url, atomically: true, encoding: .utf8)
    }
}
