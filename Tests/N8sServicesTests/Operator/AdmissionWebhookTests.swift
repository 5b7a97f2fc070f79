import Foundation
import KubeClient
import KubeCore
import KubeSim
import N8sCore
import NIOCore
import NIOPosix
import Testing

@testable import N8sServices

/// KubeSim calls the operator's quota webhook over TLS as kube-apiserver does: a
/// ValidatingWebhookConfiguration with the webhook's CA, rules for the quota kinds, and the
/// denial reaching the client in kube-apiserver's words.
@Suite("KubeSim calls the quota webhook")
struct AdmissionWebhookTests {
    static let webhookName = "quota.n8s.nebuly.ai"

    /// The configuration `deploy/` would install: both quota kinds, CREATE and UPDATE.
    static func configuration(url: String? = nil, service: ValidatingWebhookConfiguration.ServiceReference? = nil, ca: String,
                              failurePolicy: String = "Fail", timeoutSeconds: Int? = nil) -> ValidatingWebhookConfiguration {
        ValidatingWebhookConfiguration(metadata: ObjectMeta(name: "n8s-quota"), webhooks: [
            .init(name: webhookName,
                  clientConfig: .init(url: url, service: service, caBundle: Data(ca.utf8).base64EncodedString()),
                  rules: [.init(operations: ["CREATE", "UPDATE"], apiGroups: ["n8s.nebuly.ai"], apiVersions: ["v1alpha1"],
                                resources: ["elasticquotas", "compositeelasticquotas"], scope: "Namespaced")],
                  failurePolicy: failurePolicy, timeoutSeconds: timeoutSeconds)
        ])
    }

    /// The quotas KubeSim stores, as the operator's caches would hold them.
    static func stored(_ sim: KubeSim) -> [Quota] {
        ((try? sim.list(ElasticQuota.self).map(Quota.init)) ?? []) + ((try? sim.list(CompositeElasticQuota.self).map(Quota.init)) ?? [])
    }

    static func quota(_ name: String, in namespace: String, min: Int, max: Int) -> ElasticQuota {
        ElasticQuota(metadata: ObjectMeta(name: name, namespace: namespace), spec: .init(min: OFixtures.gb(min), max: OFixtures.gb(max)))
    }

    /// The API error a call failed with.
    static func status(of call: () async throws -> Void) async -> APIStatus? {
        do { try await call() } catch let KubeClientError.api(status) { return status } catch { return APIStatus.internalError("\(error)") }
        return nil
    }

    @Test("an invalid quota is refused with the webhook's message in kube-apiserver's words with its code; a valid one is stored; a second one for the namespace is refused")
    func denial() async throws {
        let tls = try KubeSimTLS.generate()
        try await withSim(clock: ManualClock()) { sim, client in
            try OFixtures.install(into: sim, namespaces: ["team"])
            try await WebhookTLSTests.withWebhook(tls, quotas: { Self.stored(sim) }) { port, _ in
                _ = try sim.create(ValidatingWebhookConfiguration.self, Self.configuration(url: "https://127.0.0.1:\(port)/validate-quota", ca: tls.caCertificatePEM))
                let quotas = client.resource(ElasticQuota.self, in: "team")
                let refused = await Self.status { _ = try await quotas.create(Self.quota("q", in: "team", min: 40, max: 20)) }
                #expect(refused?.code == 403 && refused?.reason == "Forbidden", "the webhook's own code and reason pass through")
                let message = refused?.message ?? ""
                #expect(message.hasPrefix("admission webhook \"quota.n8s.nebuly.ai\" denied the request: "), "\(message)")
                #expect(message.contains("spec.max"), "\(message)")
                #expect((try? sim.get(ElasticQuota.self, namespace: "team", name: "q")) == nil)

                _ = try await quotas.create(Self.quota("q", in: "team", min: 20, max: 40))
                let second = await Self.status { _ = try await quotas.create(Self.quota("other", in: "team", min: 1, max: 2)) }
                #expect(second?.code == 403 && (second?.message ?? "").contains("team"), "\(String(describing: second))")

                // UPDATE is reviewed too (with the stored object as oldObject).
                var current = try await quotas.get("q")
                current.spec.min = OFixtures.gb(80)
                let update = await Self.status { _ = try await quotas.update(current) }
                #expect(update?.code == 403 && (update?.message ?? "").contains("spec.max"), "\(String(describing: update))")
                // The status subresource is not in the rules: the operator's writes pass untouched.
                current = try await quotas.get("q")
                current.status = .init(used: OFixtures.gb(10))
                _ = try await quotas.updateStatus(current)
            }
        }
    }

    @Test("a webhook that cannot be called: failurePolicy Fail refuses with 500 'failed calling webhook', Ignore admits")
    func failurePolicy() async throws {
        let tls = try KubeSimTLS.generate()
        try await withSim(clock: ManualClock()) { sim, client in
            try OFixtures.install(into: sim, namespaces: ["team"])
            let closed = try await Self.unusedPort()
            let vwc = try sim.create(ValidatingWebhookConfiguration.self, Self.configuration(url: "https://127.0.0.1:\(closed)/validate-quota", ca: tls.caCertificatePEM))
            let quotas = client.resource(ElasticQuota.self, in: "team")
            let failed = await Self.status { _ = try await quotas.create(Self.quota("q", in: "team", min: 1, max: 2)) }
            #expect(failed?.code == 500 && failed?.reason == "InternalError")
            let expected = "Internal error occurred: failed calling webhook \"quota.n8s.nebuly.ai\": failed to call webhook: Post \"https://127.0.0.1:\(closed)/validate-quota?timeout=10s\""
            #expect((failed?.message ?? "").hasPrefix(expected), "\(String(describing: failed))")
            var ignoring = vwc
            ignoring.webhooks?[0].failurePolicy = "Ignore"
            _ = try sim.update(ignoring)
            _ = try await quotas.create(Self.quota("q", in: "team", min: 1, max: 2))
        }
    }

    @Test("the server's certificate is checked against caBundle: another CA's certificate is a call failure")
    func caBundleChecked() async throws {
        let served = try KubeSimTLS.generate()
        let other = try KubeSimTLS.generate()
        try await withSim(clock: ManualClock()) { sim, client in
            try OFixtures.install(into: sim, namespaces: ["team"])
            try await WebhookTLSTests.withWebhook(served, quotas: { Self.stored(sim) }) { port, _ in
                _ = try sim.create(ValidatingWebhookConfiguration.self, Self.configuration(url: "https://127.0.0.1:\(port)/validate-quota", ca: other.caCertificatePEM))
                let failed = await Self.status { _ = try await client.resource(ElasticQuota.self, in: "team").create(Self.quota("q", in: "team", min: 1, max: 2)) }
                #expect(failed?.code == 500 && (failed?.message ?? "").contains("failed calling webhook"), "\(String(describing: failed))")
            }
        }
    }

    @Test("a service reference reaches the routed address and the certificate must name <service>.<namespace>.svc")
    func serviceReference() async throws {
        let tls = try KubeSimTLS.generate(hosts: ["n8s-operator.n8s-system.svc"])
        try await withSim(clock: ManualClock()) { sim, client in
            try OFixtures.install(into: sim, namespaces: ["team"])
            try await WebhookTLSTests.withWebhook(tls, quotas: { Self.stored(sim) }) { port, _ in
                let service = ValidatingWebhookConfiguration.ServiceReference(namespace: "n8s-system", name: "n8s-operator", path: "/validate-quota")
                let vwc = try sim.create(ValidatingWebhookConfiguration.self, Self.configuration(service: service, ca: tls.caCertificatePEM))
                #expect(vwc.webhooks?[0].clientConfig.service?.port == 443, "defaulted as kube-apiserver does")
                let quotas = client.resource(ElasticQuota.self, in: "team")
                let unrouted = await Self.status { _ = try await quotas.create(Self.quota("q", in: "team", min: 2, max: 1)) }
                #expect(unrouted?.code == 500 && (unrouted?.message ?? "").contains("n8s-system/n8s-operator:443"), "\(String(describing: unrouted))")
                sim.routeService(namespace: "n8s-system", name: "n8s-operator", to: "127.0.0.1:\(port)")
                let refused = await Self.status { _ = try await quotas.create(Self.quota("q", in: "team", min: 2, max: 1)) }
                #expect(refused?.code == 403 && (refused?.message ?? "").contains("denied the request: "), "\(String(describing: refused))")
                _ = try await quotas.create(Self.quota("q", in: "team", min: 1, max: 2))
            }
        }
    }

    @Test("timeoutSeconds runs on KubeSim's clock: a webhook that never answers fails the write once the clock passes it")
    func timeout() async throws {
        let tls = try KubeSimTLS.generate()
        let clock = ManualClock()
        try await withSim(clock: clock) { sim, client in
            try OFixtures.install(into: sim, namespaces: ["team"])
            // Accepts connections and never speaks: the TLS handshake never completes.
            let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
            defer { silent.close(promise: nil) }
            let port = try #require(silent.localAddress?.port)
            _ = try sim.create(ValidatingWebhookConfiguration.self, Self.configuration(url: "https://127.0.0.1:\(port)/validate-quota", ca: tls.caCertificatePEM, timeoutSeconds: 30))
            async let outcome = Self.status { _ = try await client.resource(ElasticQuota.self, in: "team").create(Self.quota("q", in: "team", min: 1, max: 2)) }
            let waiting = await eventually { clock.sleeperCount > 0 }
            #expect(waiting)
            clock.advance(by: .seconds(29))
            clock.advance(by: .seconds(1))
            let failed = await outcome
            #expect(failed?.code == 500 && (failed?.message ?? "").contains("context deadline exceeded"), "\(String(describing: failed))")
        }
    }

    /// A port nothing listens on (bound, then closed).
    static func unusedPort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 1
        try await channel.close()
        return port
    }
}
