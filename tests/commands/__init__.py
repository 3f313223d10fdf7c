"""The command checker: every rendered command held to the real CLIs, shellcheck and semantic rules.

Modules: corpus (every command for every fixture payload, through the real diagnose path), shell (a
small bash reader, placeholders, dummies), clis (blocks run offline with the real aws and gcloud),
_resident and _shim (how those CLIs are reached), shellcheck, semantic (checks no CLI does), checks
(all of them, and the issue's measures), report (`python -m tests.commands.report`), test_commands.

Why awscli v1 from PyPI: it installs with pip into .venv like every other dev tool, on any machine
(Debian's awscli is v2 2.9.19, from early 2023, and v2 is not on PyPI); 1.46 vendors its own botocore
(as awscli.botocore), so it never fights the project's boto3/botocore; and v1 parses service commands
as v2 does, both being generated from botocore's models. What v1 lacks is checked apart: v2's own
commands and global options (`configure export-credentials`, `sso login`, `--cli-binary-format`)
against v2's documented options, and services newer than v1's vendored models against the project's
own botocore models. gcloud is Debian's google-cloud-cli (it is on this machine kind).

Why resident CLIs: ~1,900 calls at 0.4-0.9 s of start-up each would take many minutes on 2 cores; the
real CLIs' own entry points, loaded once and run on each call's own file descriptors, take seconds.
`WHYDENIED_CHECK_CLI=literal` runs the binaries instead, and a test shows both classify alike.
"""
