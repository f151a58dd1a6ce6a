"""`afina demo`: the whole path on the sample domain that ships with afina, offline.

The demo sits on top of the engine, above every floor it drives, and outside its core:
``stages`` runs import, curate, index, train and evaluate in order; ``train`` is its short
fine-tune as a background job; ``evaluate`` has the assistants answer the held-out questions.
Nothing is imported here, so importing one stage's module does not load the others.
"""
