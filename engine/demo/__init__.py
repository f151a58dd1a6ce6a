"""`afina demo`: the whole path on the sample domain that ships with afina, offline.

The demo is a user of the engine, not part of its core: it sits above every floor it drives
(the layers contract in pyproject.toml). ``stages`` runs import, curate, index, train and
evaluate in order; ``train`` is its short fine-tune as a background job; ``evaluate`` has the
assistants answer the held-out questions. Callers import the module they need from here.
"""
