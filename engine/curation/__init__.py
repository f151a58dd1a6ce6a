"""From conversations to reviewed pairs: extract, clean, scrub, dedupe, split, export."""
