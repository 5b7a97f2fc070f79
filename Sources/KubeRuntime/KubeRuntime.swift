// KubeRuntime (issue 3)
