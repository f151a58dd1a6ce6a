"""Built-in training methods, registered under the ``afina.trainers`` entry-point group."""
