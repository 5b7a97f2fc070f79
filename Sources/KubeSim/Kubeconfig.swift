import Foundation

/// The kubeconfig that points clients at a KubeSim (plain HTTP on loopback, no credentials).
public enum KubeconfigFile {
    /// The kubeconfig text, with cluster, user and context all named `kubesim`.
    public static func text(server: String) -> String {
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: kubesim
          cluster:
            server: \(server)
        users:
        - name: kubesim
          user: {}
        contexts:
        - name: kubesim
          context:
            cluster: kubesim
            user: kubesim
            namespace: default
        current-context: kubesim
        preferences: {}

        """
    }

    /// Writes the kubeconfig, creating its directory.
    /// - Throws: the file system's error when the path cannot be written.
    public static func write(server: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text(server: server).write(to: url, atomically: true, encoding: .utf8)
    }
}
