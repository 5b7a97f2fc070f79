import Foundation
import KubeCore
import Testing

@testable import KubeSim

/// ValidatingWebhookConfiguration as kube-apiserver stores and applies it: checks naming the
/// field, defaults, and which writes each webhook is asked about.
@Suite("ValidatingWebhookConfiguration")
struct WebhookConfigurationTests {
    static let type = ResourceType(ValidatingWebhookConfiguration.self, hasStatusSubresource: false)

    static func hook(_ extra: JSONObject = [:]) -> JSONValue {
        var hook: JSONObject = [
            "name": "quota.n8s.nebuly.ai", "sideEffects": "None", "admissionReviewVersions": ["v1"],
            "clientConfig": ["url": "https://127.0.0.1:9443/validate-quota"],
            "rules": [["operations": ["CREATE"], "apiGroups": ["n8s.nebuly.ai"], "apiVersions": ["*"], "resources": ["elasticquotas"]]],
        ]
        for (k, v) in extra { hook[k] = v }
        return .object(hook)
    }

    static func create(_ sim: KubeSim, _ hooks: [JSONValue]) throws(APIStatus) -> JSONValue {
        try sim.create(type, namespace: nil, ["metadata": ["name": "c"], "webhooks": .array(hooks)])
    }

    @Test("stored with kube-apiserver's defaults")
    func defaults() throws {
        let stored = try Self.create(KubeSim(clock: ManualClock()), [Self.hook()])
        let hook = try #require(stored["webhooks"]?.arrayValue?.first)
        #expect(hook["failurePolicy"] == "Fail" && hook["matchPolicy"] == "Equivalent" && hook["timeoutSeconds"] == .int(10))
        #expect(hook["namespaceSelector"] == .object([:]) && hook["objectSelector"] == .object([:]))
        #expect(hook["rules"]?.arrayValue?.first?["scope"] == "*")
    }

    @Test("refused with 422 naming each field", arguments: [
        (["name": "quota"] as JSONObject, "webhooks[0].name: Invalid value: \"quota\": should be a domain with at least three segments"),
        (["clientConfig": ["url": "http://x.example.com/"]], "webhooks[0].clientConfig.url: Invalid value"),
        (["clientConfig": [:]], "webhooks[0].clientConfig: Required value: exactly one of url or service is required"),
        (["clientConfig": ["service": ["namespace": "n", "name": "s", "port": 0]]], "webhooks[0].clientConfig.service.port: Invalid value: 0"),
        (["clientConfig": ["url": "https://x.example.com/", "caBundle": "bm90IGEgY2VydA=="]], "webhooks[0].clientConfig.caBundle: Invalid value"),
        (["sideEffects": "Some"], "webhooks[0].sideEffects: Unsupported value: \"Some\": supported values: \"None\", \"NoneOnDryRun\""),
        (["sideEffects": .null], "webhooks[0].sideEffects: Required value"),
        (["admissionReviewVersions": ["v2"]], "webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1"),
        (["failurePolicy": "Maybe"], "webhooks[0].failurePolicy: Unsupported value: \"Maybe\""),
        (["timeoutSeconds": 31], "webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds"),
        (["rules": [["operations": ["PATCH"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*"]]]],
         "webhooks[0].rules[0].operations: Unsupported value: \"PATCH\""),
        (["rules": [["operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*"], "scope": "Global"]]],
         "webhooks[0].rules[0].scope: Unsupported value: \"Global\""),
        (["namespaceSelector": ["matchExpressions": [["key": "a", "operator": "Near"]]]], "webhooks[0].namespaceSelector: Invalid value"),
    ] as [(JSONObject, String)])
    func refused(_ change: JSONObject, _ expected: String) throws {
        do {
            _ = try Self.create(KubeSim(clock: ManualClock()), [Self.hook(change)])
            Issue.record("accepted: \(change)")
        } catch {
            #expect(error.code == 422 && error.reason == "Invalid")
            #expect((error.message ?? "").contains(expected), "\(error.message ?? "")")
        }
    }

    @Test("a duplicate webhook name is refused")
    func duplicate() {
        #expect(throws: APIStatus.self) { _ = try Self.create(KubeSim(clock: ManualClock()), [Self.hook(), Self.hook()]) }
    }

    static func attributes(_ operation: String = "CREATE", type: ResourceType, subresource: String? = nil, namespace: String? = "team",
                           labels: [String: String] = [:], oldLabels: [String: String]? = nil) -> AdmissionAttributes {
        func object(_ labels: [String: String]) -> JSONValue { ["metadata": ["name": "x", "labels": .object(labels.mapValues { .string($0) })]] }
        return AdmissionAttributes(operation: operation, type: type, subresource: subresource, namespace: namespace, name: "x",
                                   object: object(labels), oldObject: oldLabels.map(object), isDryRun: false)
    }

    static let pods = ResourceType.builtIn.first { $0.plural == "pods" }!
    static let nodes = ResourceType.builtIn.first { $0.plural == "nodes" }!

    static func webhook(_ rule: ValidatingWebhookConfiguration.Rule, namespaceSelector: LabelSelectorSpec? = nil,
                        objectSelector: LabelSelectorSpec? = nil) -> ValidatingWebhookConfiguration.Webhook {
        .init(name: "w.example.com", clientConfig: .init(url: "https://x.example.com"), rules: [rule],
              namespaceSelector: namespaceSelector, objectSelector: objectSelector)
    }

    @Test("rules: operations, groups, versions, resources with subresources, scope")
    func rules() {
        let all = ValidatingWebhookConfiguration.Rule(operations: ["*"], apiGroups: ["*"], apiVersions: ["*"], resources: ["*"])
        #expect(WebhookMatching.matches(Self.webhook(all), Self.attributes(type: Self.pods), namespaceLabels: [:]))
        #expect(!WebhookMatching.matches(Self.webhook(all), Self.attributes("UPDATE", type: Self.pods, subresource: "status"), namespaceLabels: [:]),
                "* is every resource, not their subresources")
        let status = ValidatingWebhookConfiguration.Rule(operations: ["UPDATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods/*"])
        #expect(WebhookMatching.matches(Self.webhook(status), Self.attributes("UPDATE", type: Self.pods, subresource: "status"), namespaceLabels: [:]))
        #expect(!WebhookMatching.matches(Self.webhook(status), Self.attributes("CREATE", type: Self.pods), namespaceLabels: [:]))
        let otherGroup = ValidatingWebhookConfiguration.Rule(operations: ["*"], apiGroups: ["apps"], apiVersions: ["*"], resources: ["*"])
        #expect(!WebhookMatching.matches(Self.webhook(otherGroup), Self.attributes(type: Self.pods), namespaceLabels: [:]))
        var namespaced = all
        namespaced.scope = "Namespaced"
        #expect(!WebhookMatching.matches(Self.webhook(namespaced), Self.attributes(type: Self.nodes, namespace: nil), namespaceLabels: nil))
        var cluster = all
        cluster.scope = "Cluster"
        #expect(WebhookMatching.matches(Self.webhook(cluster), Self.attributes(type: Self.nodes, namespace: nil), namespaceLabels: nil))
        #expect(!WebhookMatching.matches(Self.webhook(cluster), Self.attributes(type: Self.pods), namespaceLabels: [:]))
    }

    @Test("namespaceSelector reads the namespace's labels; objectSelector the new or the old object's")
    func selectors() {
        let all = ValidatingWebhookConfiguration.Rule(operations: ["*"], apiGroups: ["*"], apiVersions: ["*"], resources: ["*"])
        let byNamespace = Self.webhook(all, namespaceSelector: LabelSelectorSpec(matchLabels: ["quota": "on"]))
        #expect(WebhookMatching.matches(byNamespace, Self.attributes(type: Self.pods), namespaceLabels: ["quota": "on"]))
        #expect(!WebhookMatching.matches(byNamespace, Self.attributes(type: Self.pods), namespaceLabels: ["quota": "off"]))
        #expect(WebhookMatching.matches(byNamespace, Self.attributes(type: Self.nodes, namespace: nil), namespaceLabels: nil),
                "cluster-scoped objects other than namespaces are always sent")
        let byObject = Self.webhook(all, objectSelector: LabelSelectorSpec(matchLabels: ["team": "a"]))
        #expect(WebhookMatching.matches(byObject, Self.attributes(type: Self.pods, labels: ["team": "a"]), namespaceLabels: [:]))
        #expect(WebhookMatching.matches(byObject, Self.attributes("UPDATE", type: Self.pods, labels: [:], oldLabels: ["team": "a"]), namespaceLabels: [:]))
        #expect(!WebhookMatching.matches(byObject, Self.attributes(type: Self.pods, labels: ["team": "b"]), namespaceLabels: [:]))
    }

    @Test("a denial keeps the webhook's code (400 when below) and quotes its message, its reason, or says it has none")
    func denialWording() {
        let forbidden = WebhookCall.denial(by: "q.example.com", .init(code: 403, message: "no thanks", reason: "Forbidden"))
        #expect(forbidden.code == 403 && forbidden.reason == "Forbidden")
        #expect(forbidden.message == "admission webhook \"q.example.com\" denied the request: no thanks")
        #expect(WebhookCall.denial(by: "d", .init(code: 200)).code == 400)
        #expect(WebhookCall.denial(by: "d", nil).message == "admission webhook \"d\" denied the request without explanation")
        #expect(WebhookCall.denial(by: "d", .init(reason: "Because")).message == "admission webhook \"d\" denied the request: Because")
    }

    @Test("an answer for another uid, version or without a response is a call failure")
    func badAnswers() throws {
        let review = AdmissionReview(request: .init(uid: "u1", kind: .init(group: "", version: "v1", kind: "Pod"),
                                                    resource: .init(group: "", version: "v1", resource: "pods"), operation: "CREATE"))
        let other = try KubeJSON.encode(AdmissionReview(response: .allow("u2")))
        #expect(WebhookCall.decision(other, for: review, webhook: "w") == .failed("received invalid webhook response: expected response.uid=\"u1\", got \"u2\""))
        #expect(WebhookCall.decision(Data(#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","response":{"uid":"u1","allowed":true}}"#.utf8),
                                     for: review, webhook: "w") != .allowed)
        #expect(WebhookCall.decision(Data(#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#.utf8), for: review, webhook: "w")
                == .failed("received invalid webhook response: webhook response was absent"))
        #expect(WebhookCall.decision(Data("{".utf8), for: review, webhook: "w") != .allowed)
        #expect(WebhookCall.decision(try KubeJSON.encode(AdmissionReview(response: .allow("u1"))), for: review, webhook: "w") == .allowed)
    }
}
