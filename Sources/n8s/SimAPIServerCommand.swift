import ArgumentParser
import Foundation
import KubeCore
import KubeSim
import Logging
import ServiceLifecycle

/// `n8s sim apiserver`: KubeSim alone, for kubectl and other clients to talk to.
struct SimAPIServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apiserver",
        abstract: "Serve an in-memory Kubernetes API server (KubeSim) on loopback until interrupted.",
        discussion: """
            Writes a kubeconfig for it and prints its path, so that
              kubectl --kubeconfig <path> get nodes,pods -A
            works. Objects live in memory only; stop with Ctrl-C (SIGINT) or SIGTERM.
            """
    )

    @Option(help: "TCP port on 127.0.0.1 (0 picks a free one).")
    var port: Int = 6443

    @Option(help: "Where to write the kubeconfig (default: <temporary directory>/n8s-kubesim/kubeconfig).")
    var kubeconfig: String?

    @Option(help: "Watch events kept for resuming watches; older versions get 410 Gone.")
    var history: Int = 100_000

    @Flag(help: "Serve HTTPS with a freshly generated CA; the kubeconfig carries the CA and a client certificate (user kubesim-admin).")
    var tls = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, not \(port)") }
        guard history > 0 else { throw ValidationError("--history must be positive, not \(history)") }
    }

    func run() async throws {
        var logger = Logger(label: "n8s.kubesim")
        logger.logLevel = .notice
        let sim = KubeSim(historyLimit: history)
        let path = kubeconfig ?? FileManager.default.temporaryDirectory.appendingPathComponent("n8s-kubesim/kubeconfig").path
        // Fail before serving when the kubeconfig cannot be written: a server nobody can reach is no use.
        do {
            try KubeconfigFile.write(server: "http://127.0.0.1:\(port)", to: path)
        } catch {
            throw CLIError("cannot write the kubeconfig to '\(path)': \((error as NSError).localizedDescription); choose another path with --kubeconfig")
        }
        let certificates = try tls ? KubeSimTLS.generate() : nil
        let admin = try certificates?.issueClientCertificate(commonName: "kubesim-admin", groups: ["system:masters"])
        let scheme = tls ? "https" : "http"
        let server = KubeSimServer(sim: sim, port: port, tls: certificates, logger: logger) { bound in
            do {
                try KubeconfigFile.write(server: "\(scheme)://127.0.0.1:\(bound)", certificateAuthorityPEM: certificates?.caCertificatePEM, clientCertificate: admin, to: path)
                Console.line("KubeSim is serving the Kubernetes API at \(scheme)://127.0.0.1:\(bound)")
                Console.line("kubeconfig: \(path)")
                Console.line("try: kubectl --kubeconfig \(path) get nodes,pods -A")
            } catch {
                Console.line("KubeSim is serving at \(scheme)://127.0.0.1:\(bound), but the kubeconfig could not be written to \(path): \(error)")
            }
        }
        let group = ServiceGroup(configuration: .init(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch where "\(error)".contains("Address already in use") {
            throw CLIError("port \(port) on 127.0.0.1 is already in use; choose another with --port, or --port 0 for a free one")
        }
    }
}
