"""Built-in evaluators, registered under the ``afina.evaluators`` entry-point group."""
