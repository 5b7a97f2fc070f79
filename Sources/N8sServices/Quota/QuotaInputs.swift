import KubeCore
import Logging
import N8sCore

/// What quota admission reads, assembled once for the scheduler extender and the partitioner's
/// ``QuotaAdmissionGate``: the quotas, and the pods ``UsageRule/admission`` counts, less those
/// whose requests cannot be charged (logged, and left out as the operator leaves them out).
enum QuotaInputs {
    static func admission(
        pods: [Pod], elastic: [ElasticQuota], composite: [CompositeElasticQuota], rates: GPUMemoryRates, logger: Logger
    ) -> (quotas: QuotaSet, pods: [Pod]) {
        let quotas = QuotaSet(elastic: elastic, composite: composite)
        let (counted, refused) = QuotaUsage.chargeable(pods.filter(UsageRule.admission.counts), quotas: quotas, rates: rates, rule: .admission)
        for r in refused {
            logger.warning("pod not counted: its requests cannot be charged", metadata: [
                "k8s.namespace": "\(r.pod.metadata.namespace ?? "")", "k8s.name": "\(r.pod.name)", "quota": "\(r.quota)", "error": "\(r.error)",
            ])
        }
        return (quotas, counted)
    }
}
