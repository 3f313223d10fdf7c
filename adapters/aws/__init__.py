"""The AWS adapter: IAM denial grammar, SDK/CLI/IaC envelopes, CloudTrail, error-code tables."""
