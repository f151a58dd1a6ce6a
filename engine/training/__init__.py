"""Fine-tuning as a background job: spec, data, recipe, checkpoints, events and the runner.

Heavy libraries (torch, transformers, peft) are imported inside functions, so listing runs or
reading events never pays for them.
"""
