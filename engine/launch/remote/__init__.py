"""Training on a GPU box over SSH: the link (ssh.py), the hosts a workspace knows, and the
launcher that runs a run folder there."""
