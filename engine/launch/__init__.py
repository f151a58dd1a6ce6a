"""Where a training run executes: a launcher starts its runner, says whether it lives, stops
it and reads its events. Local process and `accelerate launch` today; an SSH launcher (a GPU
box) is one more module and one line in ``registry.LAUNCHERS``.

Nothing is imported here: the runner imports ``pidfile`` alone, and should not load every
launcher to do it.
"""
