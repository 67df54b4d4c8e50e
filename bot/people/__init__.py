"""One person behind several channel identities: links made on proof, staff merges with an undo."""
