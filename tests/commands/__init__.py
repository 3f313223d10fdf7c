"""The command checker: every rendered command held to the real CLIs, shellcheck and semantic rules."""
