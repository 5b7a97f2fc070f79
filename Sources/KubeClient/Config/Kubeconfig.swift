import Foundation
import Yams

/// A kubeconfig file (or several merged, as `KUBECONFIG=a:b` does), before a context is chosen.
///
/// Relative file paths inside a file are resolved against that file's directory. When files are
/// merged, the first file that defines a named cluster, user or context wins, as does the first
/// `current-context`.
public struct Kubeconfig: Sendable, Hashable {
    public var currentContext: String?
    public var clusters: [String: Cluster] = [:]
    public var users: [String: User] = [:]
    public var contexts: [String: Context] = [:]

    public struct Cluster: Sendable, Hashable, Codable {
        public var server: String?
        public var certificateAuthority: String?
        public var certificateAuthorityData: String?
        public var insecureSkipTLSVerify: Bool?
        public var tlsServerName: String?
        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
            case tlsServerName = "tls-server-name"
        }
    }

    public struct User: Sendable, Hashable, Codable {
        public var token: String?
        public var tokenFile: String?
        public var clientCertificate: String?
        public var clientCertificateData: String?
        public var clientKey: String?
        public var clientKeyData: String?
        public var username: String?
        public var password: String?
        public var exec: ExecConfig?
        enum CodingKeys: String, CodingKey {
            case token, tokenFile, username, password, exec
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
        }
    }

    public struct Context: Sendable, Hashable, Codable {
        public var cluster: String
        public var user: String?
        public var namespace: String?
    }

    private struct File: Decodable {
        var currentContext: String?
        var clusters: [Named<Cluster>]?
        var users: [Named<User>]?
        var contexts: [Named<Context>]?
        enum CodingKeys: String, CodingKey {
            case clusters, users, contexts
            case currentContext = "current-context"
        }
    }

    private struct Named<T: Decodable>: Decodable {
        var name: String
        var value: T?
        enum CodingKeys: String, CodingKey { case name, cluster, user, context }
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            for key in [CodingKeys.cluster, .user, .context] where c.contains(key) {
                value = try c.decode(T.self, forKey: key)
            }
        }
    }

    public init() {}

    /// Parses one kubeconfig document; relative paths are made absolute against `directory`.
    /// - Throws: ``KubeconfigError/malformed(file:reason:)``.
    public init(yaml: String, directory: String? = nil, file: String = "<memory>") throws(KubeconfigError) {
        let parsed: File
        do { parsed = try YAMLDecoder().decode(File.self, from: yaml) } catch {
            throw .malformed(file: file, reason: "\(error)")
        }
        currentContext = parsed.currentContext.flatMap { $0.isEmpty ? nil : $0 }
        func absolute(_ path: String?) -> String? {
            guard let path, let directory, !path.hasPrefix("/") else { return path }
            return (directory as NSString).appendingPathComponent(path)
        }
        for entry in parsed.clusters ?? [] where clusters[entry.name] == nil {
            guard var cluster = entry.value else { continue }
            cluster.certificateAuthority = absolute(cluster.certificateAuthority)
            clusters[entry.name] = cluster
        }
        for entry in parsed.users ?? [] where users[entry.name] == nil {
            guard var user = entry.value else { continue }
            user.tokenFile = absolute(user.tokenFile)
            user.clientCertificate = absolute(user.clientCertificate)
            user.clientKey = absolute(user.clientKey)
            if var exec = user.exec, exec.command.contains("/") {
                exec.command = absolute(exec.command) ?? exec.command
                user.exec = exec
            }
            users[entry.name] = user
        }
        for entry in parsed.contexts ?? [] where contexts[entry.name] == nil {
            if let context = entry.value { contexts[entry.name] = context }
        }
    }

    /// Reads and merges `paths` in order.
    public init(files paths: [String]) throws(KubeconfigError) {
        self.init()
        for path in paths {
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw .malformed(file: path, reason: "unreadable: \(error)")
            }
            let next = try Kubeconfig(yaml: text, directory: (path as NSString).deletingLastPathComponent, file: path)
            merge(next)
        }
    }

    /// Adds what `other` defines and `self` does not.
    public mutating func merge(_ other: Kubeconfig) {
        if currentContext == nil { currentContext = other.currentContext }
        clusters.merge(other.clusters) { mine, _ in mine }
        users.merge(other.users) { mine, _ in mine }
        contexts.merge(other.contexts) { mine, _ in mine }
    }

    /// The files kubectl would read: `explicitPath` (`--kubeconfig`), else every existing file in
    /// `KUBECONFIG` (colon-separated), else `~/.kube/config`.
    public static func candidatePaths(explicitPath: String?, environment: [String: String]) -> [String] {
        if let explicitPath { return [explicitPath] }
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            return list.split(separator: ":").map(String.init).filter { FileManager.default.fileExists(atPath: $0) }
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return [(home as NSString).appendingPathComponent(".kube/config")]
    }
}
