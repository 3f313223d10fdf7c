"""The GCP adapter: google.rpc.Status and ErrorInfo, legacy reasons, gRPC/gcloud/audit-log renderings."""
