"""The engine's top floor: one function per user action, taking a Workspace.

The CLI verb and the TUI screen for an action both call the function here, with the same
plain options, and only format what it returns. Whatever afina.toml says about an action
(the personal-data allow list, the cleaning rules, the base model's tokenizer, importer
options, training settings) is read here from the workspace, never by a caller, so the two
front ends cannot drift apart.

Modules by area: ``ingest`` (files -> sources), ``curation`` (extract, curate, split,
export), ``index`` (retrieval indexes), ``train`` (runs), ``evaluate`` (evaluations).
Nothing is imported here, so a caller loads only the area it needs.
"""
