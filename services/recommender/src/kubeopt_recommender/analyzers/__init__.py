"""Analyzers: plugins found through the ``kubeopt.analyzers`` entry-point group."""
