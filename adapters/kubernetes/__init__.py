"""The Kubernetes adapter: API server Status objects, RBAC and admission denials, kubeconfig credential failures."""
