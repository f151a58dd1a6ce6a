"""Built-in retrievers, registered under the ``afina.retrievers`` entry-point group."""
