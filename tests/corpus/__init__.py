"""Real pastes from sources the grammars were not written from, split by source into dev and held-out."""
