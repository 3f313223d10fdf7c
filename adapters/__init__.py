"""Pure readers of pasted access failures: normalise, recognise the provider, classify."""
