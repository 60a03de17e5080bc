"""HTTP conventions shared by every service API."""

from kubeopt_common.web.app import ReadinessCheck, create_api, serve
from kubeopt_common.web.auth import require_token
from kubeopt_common.web.problems import Problem, ProblemError

__all__ = ["Problem", "ProblemError", "ReadinessCheck", "create_api", "require_token", "serve"]
