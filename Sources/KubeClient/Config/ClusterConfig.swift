import Foundation

/// Everything needed to reach one API server as one user: the resolved form of a kubeconfig
/// context or of the in-cluster environment.
public struct ClusterConfig: Sendable {
    /// Base URL, e.g. `https://10.0.0.1:6443` (no trailing slash).
    public var server: URL
    /// PEM bundle of the CAs that sign the server's certificate; `nil`: the system trust store.
    public var certificateAuthorityPEM: Data?
    /// Accept any server certificate (kubeconfig `insecure-skip-tls-verify`). Never in production.
    public var insecureSkipTLSVerify: Bool
    /// SNI / verification name when it differs from the server's host (`tls-server-name`).
    public var tlsServerName: String?
    /// PEM client certificate chain and key for mutual TLS.
    public var clientCertificatePEM: Data?
    public var clientKeyPEM: Data?
    public var credentials: Credentials
    /// The context's namespace (`default` when the kubeconfig names none).
    public var namespace: String

    public init(
        server: URL,
        certificateAuthorityPEM: Data? = nil,
        insecureSkipTLSVerify: Bool = false,
        tlsServerName: String? = nil,
        clientCertificatePEM: Data? = nil,
        clientKeyPEM: Data? = nil,
        credentials: Credentials = .none,
        namespace: String = "default"
    ) {
        self.server = server
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.tlsServerName = tlsServerName
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
        self.credentials = credentials
        self.namespace = namespace
    }

    /// Whether the transport needs its own TLS configuration (custom CA, client cert, or no verification).
    public var needsCustomTLS: Bool {
        certificateAuthorityPEM != nil || insecureSkipTLSVerify || clientCertificatePEM != nil || tlsServerName != nil
    }
}

/// How requests prove who sends them (besides a client certificate).
public enum Credentials: Sendable, Hashable {
    case none
    /// A fixed bearer token.
    case token(String)
    /// A bearer token read from a file and re-read at most every minute and after a 401, so a
    /// rotated service-account token is picked up.
    case tokenFile(String)
    /// HTTP basic auth (kubeconfig `username`/`password`).
    case basic(username: String, password: String)
    /// A credential plugin run on demand (kubeconfig `exec`).
    case exec(ExecConfig)
}

/// A kubeconfig `exec` credential plugin (client.authentication.k8s.io v1 or v1beta1).
public struct ExecConfig: Sendable, Hashable, Codable {
    /// `client.authentication.k8s.io/v1` or `client.authentication.k8s.io/v1beta1`.
    public var apiVersion: String
    /// Program: a path, or a name looked up in `PATH`.
    public var command: String
    public var args: [String]?
    public var env: [EnvVar]?
    /// `Never`, `IfAvailable` or `Always` (v1 requires it; stdin is never offered here).
    public var interactiveMode: String?
    public var provideClusterInfo: Bool?

    public struct EnvVar: Sendable, Hashable, Codable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(apiVersion: String, command: String, args: [String]? = nil, env: [EnvVar]? = nil) {
        self.apiVersion = apiVersion
        self.command = command
        self.args = args
        self.env = env
    }
}
