import Foundation
import KubeClient
import KubeCore
import N8sCore
import N8sServices
import N8sSimulation
import SwiftProtobuf

/// The parsers of outside input that n8s exposes to users, nodes and the network, each as one
/// fuzz entry point: bytes in, a parse attempt, and the invariants that must hold on success.
///
/// A rejected input is fine (every parser answers bad input with an error); a crash, a trap or a
/// broken invariant is a bug. The libFuzzer executables in `fuzz/` call ``run(_:)`` and the
/// regression suite replays every committed input through the same function, so an input that
/// once crashed stays a test (`scripts/fuzz` explains the workflow).
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `n8s.nebuly.ai/` node annotations: input lines `key=value`.
    case annotations
    /// Kubernetes `Quantity` text.
    case quantity
    /// Label selector text (`a=b,c in (d),!e`).
    case labelSelector = "label-selector"
    /// Field selector text (`spec.nodeName=n1,status.phase!=Failed`).
    case fieldSelector = "field-selector"
    /// RFC 6902 JSON Patch: input is a JSON array `[document, patch]`.
    case jsonPatch = "json-patch"
    /// RFC 7386 JSON merge patch: input is a JSON array `[document, patch]`.
    case mergePatch = "merge-patch"
    /// Kubernetes strategic merge patch: input is a JSON array `[document, patch]`.
    case strategicMergePatch = "strategic-merge-patch"
    /// `n8s sim` scenario YAML.
    case scenario
    /// kubeconfig YAML.
    case kubeconfig
    /// Kubelet PodResources v1 `List` and `GetAllocatableResources` replies (protobuf bytes).
    case podResources = "pod-resources"
    /// A body POSTed to the quota webhook: AdmissionReview decoding, then quota validation.
    case admissionReview = "admission-review"

    /// Runs one input; traps (with the input's meaning in the message) when an invariant breaks.
    /// - Returns: whether the parser accepted the input (so seed inputs can be checked to reach
    ///   past the first rejection).
    @discardableResult
    public func run(_ bytes: some Collection<UInt8>) -> Bool {
        let data = Data(bytes)
        switch self {
        case .annotations: return Self.annotations(Self.text(data))
        case .quantity: return Self.quantity(Self.text(data))
        case .labelSelector: return Self.labelSelector(Self.text(data))
        case .fieldSelector: return Self.fieldSelector(Self.text(data))
        case .jsonPatch, .mergePatch, .strategicMergePatch: return patch(data)
        case .scenario: return Self.scenario(Self.text(data))
        case .kubeconfig: return Self.kubeconfig(Self.text(data))
        case .podResources: return Self.podResources(data)
        case .admissionReview: return Self.admissionReview(data)
        }
    }

    static func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

    static func fail(_ what: String) -> Never { fatalError("fuzz invariant broken: \(what)") }

    // MARK: - Entry points

    /// Quotas the reviewed object is checked against: one ElasticQuota and one composite.
    static let existingQuotas = [
        Quota(id: QuotaID(.elastic, namespace: "team-a", name: "a"), namespaces: ["team-a"], min: ["nvidia.com/gpu": Quantity(1)]),
        Quota(id: QuotaID(.composite, namespace: "ops", name: "shared"), namespaces: ["team-b", "team-c"]),
    ]

    static func admissionReview(_ data: Data) -> Bool {
        guard let request = try? AdmissionReview.decodeRequest(data) else { return false }
        let response = QuotaWebhook.review(request, existing: existingQuotas)
        guard response.uid == request.uid else { fail("the answer's uid '\(response.uid)' is not the request's '\(request.uid)'") }
        if !response.allowed {
            guard let status = response.status, let code = status.code, code >= 400, !(status.message ?? "").isEmpty else {
                fail("a denial without a code of 400 or more and a message: \(String(describing: response.status))")
            }
        }
        // The answer must travel: encoded, it reads back as the same response.
        guard let encoded = try? KubeJSON.encode(AdmissionReview(response: response)),
            let decoded = try? KubeJSON.decode(AdmissionReview.self, from: encoded), decoded.response == response
        else { fail("the answer to uid '\(request.uid)' does not survive encoding") }
        return true
    }

    static func annotations(_ text: String) -> Bool {
        var annotations: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let eq = line.firstIndex(of: "=") else { continue }
            annotations[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        let parsed = NodeMIGAnnotations(parsing: annotations)
        // What the agent writes from a clean report must read back as the same report.
        let clean = parsed.status.values.filter { report in
            report.instances != nil && !parsed.errors.contains { $0.key.contains("-gpu-\(report.index)-") }
        }
        let written = NodeMIGAnnotations.statusAnnotations(clean.sorted { $0.index < $1.index })
        let reread = NodeMIGAnnotations(parsing: written)
        for report in clean where reread.status[report.index]?.instances.map(Set.init) != report.instances.map(Set.init) {
            fail("status report of GPU \(report.index) does not survive write and read: \(written)")
        }
        _ = NodeMIGAnnotations.specHash(of: annotations)
        return !parsed.status.isEmpty || !parsed.spec.isEmpty
    }

    static func quantity(_ text: String) -> Bool {
        guard let q = try? Quantity(parsing: text) else { return false }
        let canonical = q.description
        guard let again = try? Quantity(parsing: canonical) else { fail("'\(text)' prints '\(canonical)', which does not parse") }
        guard again == q else { fail("'\(text)' prints '\(canonical)', which reads back as another amount") }
        guard again.description == canonical else { fail("'\(canonical)' is not a fixed point of printing") }
        _ = (q.value, q.milliValue, q < again)
        return true
    }

    static func labelSelector(_ text: String) -> Bool {
        guard let s = try? LabelSelector(parsing: text) else { return false }
        guard let again = try? LabelSelector(parsing: s.description) else {
            fail("label selector '\(text)' prints '\(s.description)', which does not parse")
        }
        guard again == s else { fail("label selector '\(text)' prints '\(s.description)', which reads back differently") }
        _ = s.matches(["app": "x", "tier": "gpu"])
        return true
    }

    static func fieldSelector(_ text: String) -> Bool {
        guard let s = try? FieldSelector(parsing: text) else { return false }
        guard let again = try? FieldSelector(parsing: s.description) else {
            fail("field selector '\(text)' prints '\(s.description)', which does not parse")
        }
        guard again == s else { fail("field selector '\(text)' prints '\(s.description)', which reads back differently") }
        _ = s.matches { $0 == "spec.nodeName" ? "n1" : nil }
        return true
    }

    func patch(_ data: Data) -> Bool {
        guard let pair = try? KubeJSON.decoder().decode(JSONValue.self, from: data), let items = pair.arrayValue, items.count == 2 else {
            return false
        }
        let (document, patch) = (items[0], items[1])
        let result: JSONValue?
        switch self {
        case .jsonPatch:
            guard let operations = try? KubeJSON.typed(JSONPatch.self, from: patch) else { return false }
            result = try? operations.apply(to: document)
        case .mergePatch:
            let merged = MergePatch.apply(patch, to: document)
            // A merge patch cannot carry nulls as values; between null-free objects, diff then apply
            // must give back the target (RFC 7386 section 2).
            if document.objectValue != nil, merged.objectValue != nil, !Self.containsNull(merged) {
                let diff = MergePatch.diff(from: document, to: merged) ?? .object([:])
                guard MergePatch.apply(diff, to: document) == merged else { Self.fail("merge diff does not reproduce its target") }
            }
            result = merged
        default:
            result = try? StrategicMergePatch.apply(patch, to: document)
        }
        guard let result else { return false }
        // What the API server stores must serialise and read back unchanged.
        let bytes = Data(result.serialized())
        guard let reread = try? KubeJSON.decoder().decode(JSONValue.self, from: bytes) else {
            Self.fail("patched document does not serialise to JSON: \(String(decoding: bytes, as: UTF8.self))")
        }
        guard Self.sameJSON(reread, result) else { Self.fail("patched document changes through serialisation") }
        return true
    }

    static func scenario(_ text: String) -> Bool {
        (try? Scenario(yaml: text, catalog: catalog)) != nil
    }

    static func kubeconfig(_ text: String) -> Bool {
        guard let config = try? Kubeconfig(yaml: text) else { return false }
        // Resolving reads referenced files; only resolve configurations that name none.
        let namesFiles = config.clusters.values.contains { $0.certificateAuthority != nil }
            || config.users.values.contains { $0.tokenFile != nil || $0.clientCertificate != nil || $0.clientKey != nil }
        if !namesFiles { _ = try? config.resolve() }
        return true
    }

    static func podResources(_ data: Data) -> Bool {
        var accepted = false
        if let list = try? V1_ListPodResourcesResponse(serializedBytes: data) {
            let allocations = PodResourcesClient.allocations(from: list)
            let pods = allocations.prefix(8).map { allocation in
                Pod(metadata: ObjectMeta(name: allocation.name, namespace: allocation.namespace), spec: PodSpec(containers: []))
            }
            _ = UsageReader.usage(pods: Array(pods), allocations: allocations)
            accepted = !allocations.isEmpty
        }
        if let allocatable = try? V1_AllocatableResourcesResponse(serializedBytes: data) {
            accepted = !PodResourcesClient.devices(from: allocatable).isEmpty || accepted
        }
        return accepted
    }

    // MARK: - Helpers

    static let catalog: MIGCatalog = {
        do { return try MIGCatalog.bundled() } catch { fatalError("the bundled MIG catalog does not load: \(error)") }
    }()

    static func containsNull(_ value: JSONValue) -> Bool {
        switch value {
        case .null: true
        case .array(let a): a.contains(where: containsNull)
        case .object(let o): o.values.contains(where: containsNull)
        default: false
        }
    }

    /// Equality that reads an integral double and the same integer as one number, as JSON does.
    static func sameJSON(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.array(let x), .array(let y)): x.count == y.count && zip(x, y).allSatisfy { sameJSON($0, $1) }
        case (.object(let x), .object(let y)): x.count == y.count && x.allSatisfy { k, v in y[k].map { sameJSON(v, $0) } ?? false }
        case (.int(let x), .double(let y)), (.double(let y), .int(let x)): Double(x) == y
        default: a == b
        }
    }
}
