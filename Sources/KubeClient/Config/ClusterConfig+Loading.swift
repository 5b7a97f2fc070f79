import Foundation

extension Kubeconfig {
    /// Resolves `context` (default: `current-context`) to a ``ClusterConfig``, reading the CA,
    /// certificate and key files it names. Inline `*-data` fields win over file paths.
    /// - Throws: ``KubeconfigError/missingEntry(kind:name:)`` for a missing context, cluster or user;
    ///   ``KubeconfigError/invalidField(field:reason:)`` for a bad server URL, unreadable file or bad base64.
    public func resolve(context name: String? = nil) throws(KubeconfigError) -> ClusterConfig {
        guard let contextName = name ?? currentContext else { throw .missingEntry(kind: "current-context", name: "") }
        guard let context = contexts[contextName] else { throw .missingEntry(kind: "context", name: contextName) }
        guard let cluster = clusters[context.cluster] else { throw .missingEntry(kind: "cluster", name: context.cluster) }
        let user: User
        if let userName = context.user, !userName.isEmpty {
            guard let found = users[userName] else { throw .missingEntry(kind: "user", name: userName) }
            user = found
        } else {
            user = User()
        }
        guard let serverText = cluster.server, let server = URL(string: serverText.hasSuffix("/") ? String(serverText.dropLast()) : serverText),
            server.scheme == "https" || server.scheme == "http"
        else { throw .invalidField(field: "clusters[\(context.cluster)].server", reason: "not an http(s) URL: \(cluster.server ?? "missing")") }

        var config = ClusterConfig(server: server, namespace: context.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default")
        config.insecureSkipTLSVerify = cluster.insecureSkipTLSVerify ?? false
        config.tlsServerName = cluster.tlsServerName
        config.certificateAuthorityPEM = try Self.material(data: cluster.certificateAuthorityData, file: cluster.certificateAuthority, field: "certificate-authority")
        config.clientCertificatePEM = try Self.material(data: user.clientCertificateData, file: user.clientCertificate, field: "client-certificate")
        config.clientKeyPEM = try Self.material(data: user.clientKeyData, file: user.clientKey, field: "client-key")
        if (config.clientCertificatePEM == nil) != (config.clientKeyPEM == nil) {
            throw .invalidField(field: "users[\(context.user ?? "")]", reason: "client certificate and key must be given together")
        }
        if let token = user.token, !token.isEmpty {
            config.credentials = .token(token)
        } else if let file = user.tokenFile {
            config.credentials = .tokenFile(file)
        } else if let exec = user.exec {
            config.credentials = .exec(exec)
        } else if let username = user.username, let password = user.password {
            config.credentials = .basic(username: username, password: password)
        }
        return config
    }

    static func material(data: String?, file: String?, field: String) throws(KubeconfigError) -> Data? {
        if let data, !data.isEmpty {
            guard let decoded = Data(base64Encoded: data, options: .ignoreUnknownCharacters) else {
                throw .invalidField(field: "\(field)-data", reason: "not base64")
            }
            return decoded
        }
        guard let file, !file.isEmpty else { return nil }
        do { return try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
            throw .invalidField(field: field, reason: "cannot read \(file): \(error)")
        }
    }
}

extension ClusterConfig {
    /// Where a pod's service account material is mounted.
    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// The in-cluster configuration: `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`,
    /// the mounted CA, and the mounted token as a ``Credentials/tokenFile(_:)`` (re-read as it rotates).
    /// - Throws: ``KubeconfigError/notFound(searched:)`` outside a pod; ``KubeconfigError/invalidField(field:reason:)``
    ///   when the CA is unreadable.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        directory: String = serviceAccountDirectory
    ) throws(KubeconfigError) -> ClusterConfig {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
            let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty
        else { throw .notFound(searched: ["KUBERNETES_SERVICE_HOST"]) }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        guard let server = URL(string: "https://\(hostPart):\(port)") else {
            throw .invalidField(field: "KUBERNETES_SERVICE_HOST", reason: "not a host: \(host)")
        }
        let ca = try Kubeconfig.material(data: nil, file: "\(directory)/ca.crt", field: "ca.crt")
        let namespace = (try? String(contentsOfFile: "\(directory)/namespace", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return ClusterConfig(
            server: server,
            certificateAuthorityPEM: ca,
            credentials: .tokenFile("\(directory)/token"),
            namespace: namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        )
    }

    /// The configuration controller-runtime would pick: `--kubeconfig` (`explicitPath`), else
    /// `KUBECONFIG`, else in-cluster, else `~/.kube/config`; then `context` or the current one.
    public static func load(
        kubeconfig explicitPath: String? = nil,
        context: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(KubeconfigError) -> ClusterConfig {
        if explicitPath == nil, environment["KUBECONFIG"].map({ $0.isEmpty }) ?? true,
            environment["KUBERNETES_SERVICE_HOST"] != nil
        {
            return try inCluster(environment: environment)
        }
        let paths = Kubeconfig.candidatePaths(explicitPath: explicitPath, environment: environment)
        let existing = paths.filter { FileManager.default.fileExists(atPath: $0) }
        guard !existing.isEmpty else { throw .notFound(searched: paths) }
        return try Kubeconfig(files: existing).resolve(context: context)
    }
}
