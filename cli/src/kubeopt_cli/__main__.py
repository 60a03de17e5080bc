"""``python -m kubeopt_cli`` / the ``kubeopt`` script."""

from __future__ import annotations

from kubeopt_cli.main import main

if __name__ == "__main__":
    main()
