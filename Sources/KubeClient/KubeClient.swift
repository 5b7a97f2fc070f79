// KubeClient (issue 3)
