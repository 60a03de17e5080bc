"""Notification channels: plugins found through the ``kubeopt.channels`` entry-point group."""
