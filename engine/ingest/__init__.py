"""From files on disk to conversations in the store: inputs, sniffing, importer contract, runs."""
