"""Generation: a base model or a tuned run loaded once, answering chat messages."""
