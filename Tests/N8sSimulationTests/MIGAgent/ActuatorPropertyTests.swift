import N8sSimulation
import Testing

/// The actuator property (``ActuatorProperty``) at CI size; `n8s sim fault-campaign
/// --actuator-trials 100000` runs it at full size.
@Suite("Actuator property: kill at a random step and restart")
struct ActuatorPropertyTests {
    @Test("zero used or reserved instances destroyed, zero orphans, final state = target when reachable")
    func randomTrials() throws {
        let report = try ActuatorProperty.run(trials: 3000)
        #expect(report.failures.isEmpty, "\(report.failures.prefix(5))")
        #expect(report.trials == 3000)
        #expect(report.reached > report.trials / 5 && report.untouched > report.trials / 10)
        #expect(report.kills > 0 && report.injectedCreateFailures > 0)
    }
}
