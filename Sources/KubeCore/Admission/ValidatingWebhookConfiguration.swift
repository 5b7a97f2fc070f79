import Foundation

/// An `admissionregistration.k8s.io/v1` ValidatingWebhookConfiguration: which writes the API
/// server sends to which webhooks before storing them.
///
/// Fields keep their wire names; the API server fills the defaults (`failurePolicy: Fail`,
/// `timeoutSeconds: 10`, `scope: "*"`, service `port: 443`, empty selectors) when it stores one.
public struct ValidatingWebhookConfiguration: Resource {
    public static let apiVersion = "admissionregistration.k8s.io/v1"
    public static let kind = "ValidatingWebhookConfiguration"
    public static let plural = "validatingwebhookconfigurations"
    public static let isNamespaced = false

    public var metadata: ObjectMeta
    public var webhooks: [Webhook]?

    public init(metadata: ObjectMeta, webhooks: [Webhook]) {
        self.metadata = metadata
        self.webhooks = webhooks
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case apiVersion, kind, metadata, webhooks }

    public init(from decoder: any Decoder) throws {
        let c = try ModelDecoding(decoder, CodingKeys.self)
        metadata = try c(.metadata, default: ObjectMeta())
        webhooks = try c(.webhooks)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = try ModelEncoding(encoder, CodingKeys.self, unknown: [:])
        try c(.apiVersion, Self.apiVersion)
        try c(.kind, Self.kind)
        try c(.metadata, metadata)
        try c(.webhooks, webhooks)
    }

    /// One webhook: where to send reviews, for which writes, and what to do when it cannot answer.
    public struct Webhook: Sendable, Hashable, Codable {
        /// Fully qualified, e.g. `quota.n8s.nebuly.ai`; denials quote it.
        public var name: String
        public var clientConfig: ClientConfig
        public var rules: [Rule]?
        /// `Fail` (the default) refuses the write when the webhook cannot be called; `Ignore` admits it.
        public var failurePolicy: String?
        public var matchPolicy: String?
        public var namespaceSelector: LabelSelectorSpec?
        public var objectSelector: LabelSelectorSpec?
        /// `None` or `NoneOnDryRun`: a dry-run request is sent only to webhooks that say so.
        public var sideEffects: String?
        /// 1 to 30; default 10.
        public var timeoutSeconds: Int?
        public var admissionReviewVersions: [String]?

        public init(name: String, clientConfig: ClientConfig, rules: [Rule]? = nil, failurePolicy: String? = nil,
                    namespaceSelector: LabelSelectorSpec? = nil, objectSelector: LabelSelectorSpec? = nil,
                    sideEffects: String? = "None", timeoutSeconds: Int? = nil, admissionReviewVersions: [String]? = ["v1"]) {
            self.name = name
            self.clientConfig = clientConfig
            self.rules = rules
            self.failurePolicy = failurePolicy
            self.namespaceSelector = namespaceSelector
            self.objectSelector = objectSelector
            self.sideEffects = sideEffects
            self.timeoutSeconds = timeoutSeconds
            self.admissionReviewVersions = admissionReviewVersions
        }
    }

    /// Exactly one of `url` (`https://…`) and `service`; `caBundle` is base64 of the PEM CA
    /// the webhook's certificate must chain to (absent: the system's trust roots).
    public struct ClientConfig: Sendable, Hashable, Codable {
        public var url: String?
        public var service: ServiceReference?
        public var caBundle: String?

        public init(url: String? = nil, service: ServiceReference? = nil, caBundle: String? = nil) {
            self.url = url
            self.service = service
            self.caBundle = caBundle
        }
    }

    /// A Service in the cluster: reached at `https://<name>.<namespace>.svc:<port><path>`.
    public struct ServiceReference: Sendable, Hashable, Codable {
        public var namespace: String
        public var name: String
        public var path: String?
        /// Default 443.
        public var port: Int?

        public init(namespace: String, name: String, path: String? = nil, port: Int? = nil) {
            self.namespace = namespace
            self.name = name
            self.path = path
            self.port = port
        }
    }

    /// Which writes a webhook sees: every list is matched by membership, `*` matches all, and
    /// a resource may name a subresource (`pods/status`, `*/status`, `pods/*`).
    public struct Rule: Sendable, Hashable, Codable {
        /// `CREATE`, `UPDATE`, `DELETE`, `CONNECT` or `*`.
        public var operations: [String]?
        public var apiGroups: [String]?
        public var apiVersions: [String]?
        public var resources: [String]?
        /// `Cluster`, `Namespaced` or `*` (the default).
        public var scope: String?

        public init(operations: [String], apiGroups: [String], apiVersions: [String], resources: [String], scope: String? = nil) {
            self.operations = operations
            self.apiGroups = apiGroups
            self.apiVersions = apiVersions
            self.resources = resources
            self.scope = scope
        }
    }
}
